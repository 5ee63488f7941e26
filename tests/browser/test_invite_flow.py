"""A person's path: log in, create a project, invite a member; the invitee accepts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, make_user
from zveno.accounts.models import Invitation
from zveno.workspaces import services as ws
from zveno.workspaces.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_creates_project_invites_and_invitee_joins(new_page):
    owner = make_user("anna", name="Анна Смирнова")
    ws.create_workspace(owner, "Агентство «Тест»", slug="agency")

    page, console = new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ru"
    shot(page, "01-login")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click(".content form button.primary, .public-card form button.primary")
    page.wait_for_url("**/w/agency/")
    shot(page, "02-workspace-empty")

    page.click("text=Создать первый проект")
    page.fill("#id_name", "Запуск курса по интерьеру")
    page.select_option("#id_niche", "info_product")
    page.select_option("#id_goal_type", "launch_sales")
    page.fill("#id_start_date", "2026-12-01")
    page.fill("#id_end_date", "2026-11-01")  # before the start: a clear error, nothing saved
    shot(page, "03-project-form")
    page.click(".content form button.primary, .public-card form button.primary")
    assert page.locator(".field-end_date .error").is_visible()
    assert not Project.objects.exists()
    shot(page, "04-project-form-error")
    page.fill("#id_end_date", "2027-01-31")
    page.click(".content form button.primary, .public-card form button.primary")
    page.wait_for_url("**/p/zapusk-kursa-po-intereru/")
    shot(page, "05-project")

    page.click("nav.tabs >> text=Команда")
    page.fill("#id_name", "Елена Соколова")
    page.check("input[name=roles][value=copywriter]")
    page.fill("#id_capacity_hours", "25")
    page.click("#invite-form button[type=submit]")
    page.wait_for_url("**/team/?invited=*")
    link = page.locator("#invite-link").input_value()
    assert re.search(r"/invite/[^/]+/$", link)
    shot(page, "06-team-invited")

    guest, guest_console = new_page(viewport={"width": 390, "height": 844})  # a phone
    guest.goto(link)
    shot(guest, "07-invitation-phone")
    guest.fill("#id_username", "elena")
    guest.fill("#id_email", "elena@example.test")
    guest.fill("#id_password1", "Interior-2026-copy")
    guest.fill("#id_password2", "Interior-2026-copy")
    guest.click(".public-card form button.primary")
    guest.wait_for_url("**/p/zapusk-kursa-po-intereru/")
    assert "Запуск курса по интерьеру" in guest.content()
    shot(guest, "08-invitee-lands")

    elena = get_user_model().objects.get(username="elena")
    membership = elena.project_memberships.get()
    assert membership.roles == ["copywriter"]
    assert membership.capacity_hours == 25

    guest.goto(link)  # a used link does not work twice
    assert "Приглашение не действует" in guest.content()

    page.reload()  # post/redirect/get: reloading sends nothing twice
    assert Invitation.objects.count() == 1
    assert "Елена Соколова" in page.content()
    page.locator(f"#member-{membership.pk} button:has-text('Изменить')").click()
    page.check(f"#member-{membership.pk} input[name=roles][value=designer]")
    page.click(f"#member-{membership.pk} button[type=submit]")
    page.wait_for_selector(f"#member-{membership.pk} .role-designer")
    shot(page, "09-team-edited")
    membership.refresh_from_db()
    assert membership.roles == ["copywriter", "designer"]

    assert console.errors == []
    assert [e for e in guest_console.errors if "410" not in e] == []


def test_pages_have_no_javascript_errors_in_english(new_page, db):
    user = make_user("mark", name="Mark", language="en")
    workspace = ws.create_workspace(user, "Agency", slug="agency-en")
    ws.create_project(
        user, workspace, name="Sofa shop", slug="sofa", start_date=dt.date(2026, 12, 1)
    )
    page, console = new_page()
    page.goto("/login/")
    page.fill("#id_username", "mark")
    page.fill("#id_password", PASSWORD)
    page.click(".content form button.primary, .public-card form button.primary")
    page.wait_for_url("**/w/agency-en/")
    for path, name in [
        ("/w/agency-en/", "10-en-workspace"),
        ("/p/sofa/", "11-en-project"),
        ("/p/sofa/team/", "12-en-team"),
        ("/p/sofa/settings/", "13-en-settings"),
        ("/w/agency-en/people/", "14-en-people"),
        ("/profile/", "15-en-profile"),
        ("/tokens/", "16-en-tokens"),
    ]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "en", path
        shot(page, name)
    page.fill("#id_name", "reporting")
    page.click(".content form button.primary, .public-card form button.primary")
    assert page.locator("#token-value").input_value().startswith("zv_")
    assert console.errors == []
