"""Projects and their teams through the pages: create, edit, list, members."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import CANARY_A1, CANARY_A2
from zveno.workspaces import services as ws
from zveno.workspaces.models import Project, ProjectMembership

pytestmark = pytest.mark.django_db


def project_form(**overrides) -> dict:
    return {
        "name": "Запуск курса",
        "slug": "",
        "niche": "info_product",
        "goal_type": "launch_sales",
        "start_date": "2026-12-01",
        "end_date": "",
        "timezone": "Europe/Moscow",
        "status": "active",
        "description": "",
        **overrides,
    }


def alpha_form(**overrides) -> dict:
    base = {
        "name": CANARY_A1,
        "slug": "alpha",
        "niche": "real_estate",
        "goal_type": "leads",
        "start_date": "2026-11-02",
    }
    return project_form(**{**base, **overrides})


def create_url(ws_slug: str = "ws-a") -> str:
    return reverse("projects:project_create", args=[ws_slug])


def edit_url(slug: str = "alpha") -> str:
    return reverse("projects:project_edit", args=[slug])


# --- creating ---------------------------------------------------------------------------------


def test_create_project_gives_a_latin_slug_and_makes_the_creator_smm(world, login):
    owner = world.users["owner"]
    client = login(owner)

    response = client.post(create_url(), project_form(end_date="2027-01-31"))

    project = Project.objects.get(name="Запуск курса")
    assert project.slug == "zapusk-kursa"
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:project", args=["zapusk-kursa"])
    assert project.workspace == world.workspace_a
    assert project.niche == "info_product"
    assert project.goal_type == "launch_sales"
    assert project.start_date == dt.date(2026, 12, 1)
    assert project.end_date == dt.date(2027, 1, 31)
    assert project.timezone == "Europe/Moscow"
    membership = ProjectMembership.objects.get(project=project)
    assert membership.user == owner
    assert membership.roles == ["smm"]
    assert client.get(response["Location"]).status_code == 200


def test_a_project_from_a_playbook_opens_its_draft_plan_with_ideas_to_create(world, login):
    """Before: the new project opened its dashboard and its plan stayed empty."""
    client = login(world.users["owner"])
    form = project_form(playbook="info_product", networks=["telegram"], cadence="medium")

    response = client.post(create_url(), {**form, "my_roles": ["smm"]})

    draft = reverse("content:plan_draft", args=["zapusk-kursa"])
    assert response.status_code == 302 and response["Location"] == f"{draft}?welcome=1"
    page = client.get(response["Location"])
    assert page.context["welcome"] and page.context["slots"]
    assert "welcome-plan" in page.content.decode()


def test_same_name_twice_gets_a_numbered_slug(world, login):
    client = login(world.users["owner"])
    client.post(create_url(), project_form())
    response = client.post(create_url(), project_form())
    assert response.status_code == 302
    assert sorted(Project.objects.filter(name="Запуск курса").values_list("slug", flat=True)) == [
        "zapusk-kursa",
        "zapusk-kursa-2",
    ]


@pytest.mark.parametrize("slug", ["alpha", "beta"])  # taken in this workspace, and in another one
def test_duplicate_slug_is_a_form_error(world, login, slug):
    client = login(world.users["owner"])
    before = Project.objects.count()

    response = client.post(create_url(), project_form(slug=slug))

    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    assert Project.objects.count() == before


def test_end_before_start_is_a_form_error_on_end_date(world, login):
    client = login(world.users["owner"])
    before = Project.objects.count()

    response = client.post(
        create_url(), project_form(start_date="2026-12-01", end_date="2026-11-30")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "end_date" in errors
    assert "start_date" not in errors
    assert Project.objects.count() == before
    assert 'name="end_date"' in response.content.decode()


def test_workspace_member_without_management_cannot_create_projects(world, login):
    client = login(world.users["smm"])  # a plain member of workspace A
    before = Project.objects.count()
    assert client.get(create_url()).status_code == 403
    assert client.post(create_url(), project_form()).status_code == 403
    assert Project.objects.count() == before


# --- editing ----------------------------------------------------------------------------------


def test_edit_project_on_the_settings_page(world, login):
    client = login(world.users["smm"])  # the project's SMM manages it
    page = client.get(edit_url())
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == CANARY_A1
    assert page.context["form"].initial["slug"] == "alpha"

    response = client.post(
        edit_url(),
        alpha_form(
            name="Альфа, второй сезон",
            end_date="2027-02-28",
            status="paused",
            timezone="Asia/Omsk",
            description="Эксперт — риэлтор.",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:project", args=["alpha"])
    world.alpha.refresh_from_db()
    assert world.alpha.name == "Альфа, второй сезон"
    assert world.alpha.end_date == dt.date(2027, 2, 28)
    assert world.alpha.status == "paused"
    assert world.alpha.timezone == "Asia/Omsk"
    assert world.alpha.description == "Эксперт — риэлтор."
    assert world.alpha.slug == "alpha"


def test_changing_the_slug_moves_the_project(world, login):
    client = login(world.users["owner"])
    response = client.post(edit_url(), alpha_form(slug="alpha-renamed"))
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:project", args=["alpha-renamed"])
    assert client.get(reverse("projects:project", args=["alpha-renamed"])).status_code == 200
    assert client.get(reverse("projects:project", args=["alpha"])).status_code == 404


def test_edit_with_end_before_start_changes_nothing(world, login):
    client = login(world.users["owner"])
    response = client.post(edit_url(), alpha_form(name="Другое", end_date="2026-01-01"))
    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    world.alpha.refresh_from_db()
    assert world.alpha.name == CANARY_A1
    assert world.alpha.end_date is None


def test_edit_to_a_taken_slug_is_a_form_error(world, login):
    client = login(world.users["owner"])
    response = client.post(edit_url(), alpha_form(slug="alpha-two"))
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    world.alpha.refresh_from_db()
    assert world.alpha.slug == "alpha"


def test_copywriter_gets_403_on_the_settings_page(world, login):
    client = login(world.users["copywriter"])
    assert client.get(edit_url()).status_code == 403
    response = client.post(edit_url(), alpha_form(name="Взлом", status="archived"))
    assert response.status_code == 403
    world.alpha.refresh_from_db()
    assert world.alpha.name == CANARY_A1
    assert world.alpha.status == "active"


# --- the workspace page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("owner", {"alpha", "alpha-two"}), ("smm", {"alpha"})]
)
def test_workspace_page_lists_only_projects_visible_to_the_persona(world, login, persona, expected):
    client = login(world.users[persona])
    response = client.get(reverse("projects:workspace", args=["ws-a"]))
    assert response.status_code == 200
    assert {p.slug for p in response.context["projects"]} == expected
    body = response.content.decode()
    assert CANARY_A1 in body
    assert (CANARY_A2 in body) == ("alpha-two" in expected)
    assert response.context["can_create"] == (persona == "owner")
    team_sizes = {p.slug: p.team_size for p in response.context["projects"]}
    assert team_sizes["alpha"] == 4


def test_workspace_page_query_count_does_not_grow_with_projects(world, login):
    client = login(world.users["owner"])
    url = reverse("projects:workspace", args=["ws-a"])
    client.get(url)  # warm up the session
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(30):
        ws.create_project(
            world.users["owner"],
            world.workspace_a,
            name=f"Проект {n}",
            start_date=dt.date(2026, 11, 2),
            end_date=dt.date(2027, 1, 1),
        )

    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["projects"]) == 32
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_workspace_page_with_30_projects_stays_within_a_fixed_query_budget(
    world, login, django_assert_max_num_queries
):
    for n in range(30):
        ws.create_project(
            world.users["owner"], world.workspace_a, name=f"Проект {n}", start_date=dt.date.today()
        )
    client = login(world.users["owner"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("projects:workspace", args=["ws-a"]))
    assert response.status_code == 200
    assert response.content.decode().count('href="/p/') >= 32


# --- the team ---------------------------------------------------------------------------------


def member_edit_url(membership) -> str:
    return reverse("projects:member_edit", args=[membership.project.slug, membership.pk])


def test_member_edit_via_htmx_saves_and_returns_the_row(world, login):
    membership = world.copywriter_membership
    client = login(world.users["smm"])

    editor = client.get(member_edit_url(membership), headers={"HX-Request": "true"})
    assert editor.status_code == 200
    assert editor.context["form"].initial["roles"] == ["copywriter"]

    response = client.post(
        member_edit_url(membership),
        {"roles": ["designer", "copywriter"], "capacity_hours": "35.5"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith(f'<tr id="member-{membership.pk}"')
    assert "<html" not in body
    assert "workspaces/partials/_member_row.html" in [t.name for t in response.templates]
    membership.refresh_from_db()
    assert membership.roles == ["copywriter", "designer"]
    assert membership.capacity_hours == Decimal("35.5")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"roles": [], "capacity_hours": "10"}, "roles"),
        ({"roles": ["wizard"], "capacity_hours": "10"}, "roles"),
        ({"roles": ["designer"], "capacity_hours": "200"}, "capacity_hours"),
        ({"roles": ["designer"], "capacity_hours": "-1"}, "capacity_hours"),
    ],
)
def test_member_edit_with_invalid_data_returns_the_editor_and_saves_nothing(
    world, login, data, field
):
    membership = world.copywriter_membership
    client = login(world.users["owner"])
    response = client.post(member_edit_url(membership), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "workspaces/partials/_member_edit.html" in [t.name for t in response.templates]
    membership.refresh_from_db()
    assert membership.roles == ["copywriter"]
    assert membership.capacity_hours == Decimal("20")


def test_removing_a_member(world, login):
    membership = world.copywriter_membership
    client = login(world.users["owner"])

    response = client.post(
        reverse("projects:member_remove", args=["alpha", membership.pk]), follow=False
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:members", args=["alpha"])
    assert not ProjectMembership.objects.filter(pk=membership.pk).exists()
    copywriter = login(world.users["copywriter"])
    assert copywriter.get(reverse("projects:project", args=["alpha"])).status_code == 404


def test_you_cannot_remove_yourself(world, login):
    owner = world.users["owner"]
    own = ProjectMembership.objects.get(project=world.alpha, user=owner)
    client = login(owner)

    response = client.post(reverse("projects:member_remove", args=["alpha", own.pk]))

    assert response.status_code == 302
    assert ProjectMembership.objects.filter(pk=own.pk).exists()
    page = client.get(response["Location"])
    levels = [m.level_tag for m in page.context["messages"]]
    assert levels == ["error"]


def test_removing_a_member_with_htmx_redirects_to_the_team_page(world, login):
    membership = world.copywriter_membership
    client = login(world.users["owner"])

    response = client.post(
        reverse("projects:member_remove", args=["alpha", membership.pk]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert not ProjectMembership.objects.filter(pk=membership.pk).exists()
    target = response["HX-Redirect"]
    assert target.endswith(reverse("projects:members", args=["alpha"]))
    assert client.get(target).status_code == 200


def _menu(html: str) -> str:
    return html.split('<aside class="sidebar"', 1)[1].split("</aside>", 1)[0]


def test_side_menu_lists_projects_under_their_workspace_and_marks_the_open_one(world, client):
    """The menu groups each project under its workspace, links it, and marks the page's own."""
    owner = world.users["owner"]
    other = ws.create_workspace(owner, "Второе агентство", slug="second")
    ws.create_project(owner, other, name="Клиент второго", slug="second-client",
                      start_date=dt.date(2026, 11, 2))  # fmt: skip
    client.force_login(owner)
    menu = _menu(client.get(reverse("projects:project", args=["alpha"])).content.decode())
    first, second = menu.split("Второе агентство", 1)
    assert CANARY_A1 in first and CANARY_A2 in first and "Клиент второго" not in first
    assert "Клиент второго" in second
    link = reverse("projects:project", args=["alpha"])
    assert f'class="active status-active" href="{link}">{CANARY_A1}</a>' in menu
    assert menu.count('class="active') == 1
    menu = _menu(client.get(reverse("projects:workspace", args=["second"])).content.decode())
    assert 'class="active' not in menu.replace('class="nav-ws active', "")
    assert f'href="{reverse("projects:project", args=["second-client"])}"' in menu
