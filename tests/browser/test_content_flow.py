"""The production loop end to end: SMM → copywriter → designer → SMM → the expert by a link."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, make_user
from zveno.content.models import ContentItem, State
from zveno.playbooks import services as playbooks
from zveno.projects import services as projects
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def _login(new_page, username, viewport=None):
    page, console = new_page(viewport=viewport)
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".public-card form button.primary")
    page.wait_for_load_state()
    return page, console


def _move(page, to: str):
    page.click(f"form.actions button[name=to][value={to}]")
    page.wait_for_load_state()


def test_item_goes_from_idea_to_expert_approval_and_back(new_page, tmp_path):
    anna = make_user("anna", name="Анна Смирнова")
    elena = make_user("elena", name="Елена Соколова")
    dima = make_user("dima", name="Дима Дизайнер")
    olga = make_user("olga", name="Ольга Кузнецова")
    workspace = ws.create_workspace(anna, "Агентство", slug="agency")
    project = projects.start_project(
        anna, workspace, name="Риэлтор", slug="realtor", start_date=dt.date(2026, 11, 2),
        networks=["telegram"], my_roles=[JobRole.SMM],
    )  # fmt: skip
    ws.add_member(anna, project, elena, [JobRole.COPYWRITER], 20)
    ws.add_member(anna, project, dima, [JobRole.DESIGNER], 20)
    ws.add_member(anna, project, olga, [JobRole.EXPERT], 3)
    playbooks.choose_playbook(anna, project, "real_estate")

    smm, smm_console = _login(new_page, "anna")
    smm.goto("/p/realtor/content/new/")
    smm.fill("#id_title", "История сделки: двушка у метро")
    smm.select_option("#id_format", "post")
    smm.check("input[name=channel_ids]")
    smm.fill("#id_planned_at", "2026-12-15T12:00")
    smm.click(".content form button.primary")
    smm.wait_for_url("**/p/realtor/content/*/")
    item = ContentItem.objects.get()
    item_url = f"/p/realtor/content/{item.pk}/"
    _move(smm, "copy")
    shot(smm, "30-item-sent-to-copy")

    writer, writer_console = _login(new_page, "elena")
    writer.goto(f"/p/realtor/content/{item.pk}/edit/")
    writer.fill(
        "#id_text", "Марина помогла семье найти двушку у метро за три недели. Рассказываем, как."
    )
    writer.click(".content form button.primary")
    writer.wait_for_url(f"**{item_url}")
    _move(writer, "design")

    designer, designer_console = _login(new_page, "dima")
    designer.goto(item_url)
    visual = tmp_path / "visual.png"
    visual.write_bytes(PNG)
    designer.set_input_files("form.upload-row input[type=file]", str(visual))
    designer.click("form.upload-row button")
    designer.wait_for_load_state()
    assert item.media.count() == 1
    _move(designer, "review")

    smm.goto(item_url)
    smm.click("form.decide button.primary")  # the SMM passes the review
    smm.wait_for_load_state()
    item.refresh_from_db()
    assert item.state == State.EXPERT_APPROVAL
    smm.click(".expert-link form.actions button")  # a new approval link, shown this once
    smm.wait_for_load_state()
    link = smm.locator("#expert-link").input_value()
    shot(smm, "31-waiting-for-expert")

    expert, expert_console = new_page(viewport={"width": 390, "height": 844})
    expert.goto(link)
    shot(expert, "32-expert-link-phone")
    expert.fill(f"#comment-{item.pk}", "Добавьте цену и район, без них непонятно")
    expert.select_option(f"#redo-{item.pk}", "copy")
    expert.click("button[name=decision][value=changes]")
    expert.wait_for_load_state()
    item.refresh_from_db()
    assert item.state == State.CHANGES_REQUESTED

    writer.goto(item_url)
    _move(writer, "copy")  # the redo starts where the expert sent it
    writer.goto(f"/p/realtor/content/{item.pk}/edit/")
    writer.fill(
        "#id_text", "Двушка у метро за 7,9 млн ₽ в Ново-Савиновском районе: как мы её нашли."
    )
    writer.click(".content form button.primary")
    writer.wait_for_url(f"**{item_url}")
    _move(writer, "design")
    designer.goto(item_url)
    _move(designer, "review")
    smm.goto(item_url)
    smm.click("form.decide button.primary")
    smm.wait_for_load_state()
    expert.goto(link)
    expert.click("button[name=decision][value=approve]")
    expert.wait_for_load_state()
    item.refresh_from_db()
    assert item.state == State.APPROVED
    shot(expert, "33-expert-approved")

    smm.goto(item_url)
    history = smm.content()
    for who in ("Анна Смирнова", "Елена Соколова", "Дима Дизайнер", "Ольга Кузнецова"):
        assert who in history
    assert "Добавьте цену и район" in history
    assert list(item.approvals.values_list("decision", flat=True)) == [
        "approved", "changes_requested", "approved", "approved",
    ]  # fmt: skip
    shot(smm, "34-history")
    for console in (smm_console, writer_console, designer_console, expert_console):
        assert console.errors == []
