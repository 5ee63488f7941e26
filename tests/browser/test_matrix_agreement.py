"""The SMM changes a letter in the matrix, the agreement becomes version 2 with its diff."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, make_user
from zveno.playbooks import services as playbooks
from zveno.projects import services as projects
from zveno.team import services as team
from zveno.team.models import Assignment
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_change_a_letter_accept_and_see_version_two_with_its_diff(new_page):
    smm = make_user("anna", name="Анна Смирнова")
    writer = make_user("elena", name="Елена Соколова")
    workspace = ws.create_workspace(smm, "Агентство", slug="agency")
    project = projects.start_project(
        smm, workspace, name="Запуск курса", slug="launch", start_date=dt.date(2026, 11, 2),
        networks=["telegram", "instagram"], my_roles=[JobRole.SMM],
    )  # fmt: skip
    copy_membership = ws.add_member(smm, project, writer, [JobRole.COPYWRITER], 20)
    playbooks.choose_playbook(smm, project, "info_product")
    team.accept_agreement(writer, project.agreements.get(version=1))
    copy_area = project.areas.get(code="copy")
    before = Assignment.objects.get(area=copy_area, membership=copy_membership).letters

    page, console = new_page()
    page.goto("/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click(".public-card form button.primary")
    page.goto("/p/launch/matrix/")
    shot(page, "20-matrix")
    cell = page.locator("#area-copy button[aria-label='Елена Соколова']")
    assert cell.inner_text().strip() == before
    cell.click()
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText.trim() !== old",
        arg=["#area-copy button[aria-label='Елена Соколова']", before],
    )
    after = page.locator("#area-copy button[aria-label='Елена Соколова']").inner_text().strip()
    assert after != before
    shot(page, "21-matrix-changed")

    page.click("nav.tabs >> text=Команда")
    page.click("nav.subtabs >> text=Соглашение")
    page.wait_for_url("**/p/launch/agreement/")
    assert "2" in page.locator("h1, h2").filter(has_text="версия").first.inner_text()
    changes = page.locator(".ag-changes").inner_text()
    assert "Елена Соколова" in changes and "Тексты" in changes
    assert f"{before} → {after}" in changes
    page.click("#accept button[type=submit]")
    page.wait_for_selector(".ag-accepted")
    shot(page, "22-agreement-v2-accepted")
    version_two = project.agreements.get(version=2)
    assert version_two.acceptances.filter(user=smm).exists()
    assert not project.agreements.get(version=1).acceptances.filter(user=smm).exists()
    assert console.errors == []
