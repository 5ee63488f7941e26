"""A project started from a playbook gets its first plan from the draft page's own defaults.

Before the fix the draft page pre-filled ``07.12.2026`` into ``<input type=date>``: the browser
showed blank fields, the required fields blocked "Preview" and the new project stayed empty.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, make_user
from zveno.content.models import ContentItem
from zveno.workspaces import services as ws
from zveno.workspaces.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_project_from_a_playbook_gets_its_draft_plan_with_the_defaults(new_page):
    anna = make_user("anna", name="Анна Смирнова")
    ws.create_workspace(anna, "Агентство", slug="agency")
    page, console = new_page()
    page.goto("/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click(".public-card form button.primary")
    page.wait_for_load_state()

    page.goto("/w/agency/projects/new/")
    page.fill("#id_name", "Риэлтор Марина")
    page.select_option("#id_playbook", "real_estate")
    page.check("input[name=networks][value=telegram]")
    page.fill("#id_start_date", "2026-12-01")
    page.click(".content form button.primary")
    page.wait_for_url("**/plan/draft/?welcome=1")
    shot(page, "40-new-project-draft-plan")
    project = Project.objects.get(name="Риэлтор Марина")
    assert page.locator(".welcome-plan").is_visible()
    assert page.locator(".sheet-preview tbody tr").count() > 0

    # The page as anyone opens it later: the default range is shown and "Preview" works.
    page.goto(f"/p/{project.slug}/plan/draft/")
    start = page.locator("#id_start").input_value()
    assert start and start == page.locator("#id_start").get_attribute("value")
    assert page.locator("#id_end").input_value()
    page.click("form.toolbar button")
    page.wait_for_load_state()
    rows = page.locator(".sheet-preview tbody tr").count()
    assert rows > 0
    page.click(".sheet-confirm button.primary")
    page.wait_for_load_state()
    shot(page, "41-draft-plan-created")
    assert ContentItem.objects.filter(project=project).count() == rows
    assert console.errors == []
