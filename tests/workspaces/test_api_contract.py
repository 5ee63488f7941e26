"""The REST API contract for projects and teams: shapes, status codes, errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from zveno.accounts.models import Invitation
from zveno.workspaces import services as ws
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import WorkspaceRole

pytestmark = pytest.mark.django_db

PROJECT_KEYS = {
    "slug", "name", "workspace", "niche", "goal_type", "start_date", "end_date", "timezone",
    "status", "description", "created_at", "updated_at", "capabilities", "playbook", "cadence",
    "networks", "team",
}  # fmt: skip


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


# --- projects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("owner", {"alpha", "alpha-two"}),
        ("smm", {"alpha"}),
        ("expert", {"alpha"}),
        ("outsider", {"beta"}),
        ("other_expert", {"beta"}),
    ],
)
def test_list_projects_shows_only_visible_ones(world, api, persona, expected):
    response = api(world, persona).get("/api/v1/projects")
    assert response.status_code == 200
    projects = response.json()
    assert {p["slug"] for p in projects} == expected
    for project in projects:
        assert set(project) == PROJECT_KEYS


def test_list_projects_filters_by_status(world, api):
    Project.objects.filter(pk=world.alpha2.pk).update(status="paused")
    caller = api(world, "owner")
    assert [p["slug"] for p in caller.get("/api/v1/projects?status=paused").json()] == ["alpha-two"]
    assert [p["slug"] for p in caller.get("/api/v1/projects?status=active").json()] == ["alpha"]


def test_project_capabilities_follow_the_callers_roles(world, api):
    smm = api(world, "smm").get("/api/v1/projects/alpha").json()["capabilities"]
    expert = api(world, "expert").get("/api/v1/projects/alpha").json()["capabilities"]
    assert "manage_team" in smm
    assert "approve_as_expert" not in smm
    assert "approve_as_expert" in expert
    assert "manage_project" not in expert


def test_create_project_with_only_a_name_uses_the_only_workspace(world, api):
    response = api(world, "owner").post("/api/v1/projects", {"name": "Запуск курса"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == PROJECT_KEYS
    assert body["slug"] == "zapusk-kursa"
    assert body["workspace"] == "ws-a"
    assert body["status"] == "active"
    assert body["start_date"] == dt.date.today().isoformat()
    project = Project.objects.get(slug="zapusk-kursa")
    assert project.workspace == world.workspace_a
    membership = ProjectMembership.objects.get(project=project)
    assert membership.user == world.users["owner"]
    assert membership.roles == ["smm"]


def test_create_project_with_my_roles_and_dates(world, api):
    response = api(world, "outsider").post(
        "/api/v1/projects",
        {
            "name": "Магазин",
            "slug": "shop",
            "niche": "ecommerce",
            "goal_type": "reach_traffic",
            "start_date": "2026-12-01",
            "end_date": "2027-03-01",
            "timezone": "Asia/Omsk",
            "my_roles": ["producer", "copywriter"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["workspace"] == "ws-b"
    assert body["end_date"] == "2027-03-01"
    membership = ProjectMembership.objects.get(project__slug="shop")
    assert membership.roles == ["producer", "copywriter"]


def test_create_project_with_several_workspaces_needs_the_workspace(world, api):
    ws.add_workspace_member(world.workspace_b, world.users["owner"], WorkspaceRole.MEMBER)
    before = Project.objects.count()

    error = error_of(
        api(world, "owner").post("/api/v1/projects", {"name": "Новый"}), 422, "invalid"
    )

    assert "workspace" in error["fields"]
    assert Project.objects.count() == before
    named = api(world, "owner").post("/api/v1/projects", {"name": "Новый", "workspace": "ws-a"})
    assert named.status_code == 201
    assert named.json()["workspace"] == "ws-a"


def test_create_project_in_someone_elses_workspace_is_404(world, api):
    before = Project.objects.count()
    response = api(world, "owner").post("/api/v1/projects", {"name": "X", "workspace": "ws-b"})
    error_of(response, 404, "not_found")
    assert Project.objects.count() == before


def test_create_project_errors(world, api):
    caller = api(world, "owner")
    blank = error_of(caller.post("/api/v1/projects", {"name": "  "}), 422, "invalid")
    assert "name" in blank["fields"]
    taken = error_of(caller.post("/api/v1/projects", {"name": "X", "slug": "beta"}), 422, "invalid")
    assert "slug" in taken["fields"]
    dates = error_of(
        caller.post(
            "/api/v1/projects",
            {"name": "X", "start_date": "2026-12-01", "end_date": "2026-11-01"},
        ),
        422,
        "invalid",
    )
    assert "end_date" in dates["fields"]
    assert not Project.objects.filter(name="X").exists()


def test_get_and_patch_a_project(world, api):
    caller = api(world, "smm")
    got = caller.get("/api/v1/projects/alpha")
    assert got.status_code == 200
    assert got.json()["slug"] == "alpha"
    assert got.json()["end_date"] is None

    patched = caller.patch("/api/v1/projects/alpha", {"status": "paused", "end_date": "2027-01-31"})

    assert patched.status_code == 200
    assert patched.json()["status"] == "paused"
    assert patched.json()["end_date"] == "2027-01-31"
    world.alpha.refresh_from_db()
    assert world.alpha.status == "paused"
    assert world.alpha.end_date == dt.date(2027, 1, 31)
    assert world.alpha.niche == "real_estate"  # untouched fields stay
    again = caller.get("/api/v1/projects/alpha").json()
    assert (again["status"], again["end_date"]) == ("paused", "2027-01-31")


def test_patch_with_end_before_start_is_422_on_end_date(world, api):
    response = api(world, "owner").patch("/api/v1/projects/alpha", {"end_date": "2026-11-01"})
    error = error_of(response, 422, "invalid")
    assert "end_date" in error["fields"]
    assert set(error["fields"]) == {"end_date"}
    world.alpha.refresh_from_db()
    assert world.alpha.end_date is None


def test_patch_by_a_copywriter_is_403(world, api):
    response = api(world, "copywriter").patch("/api/v1/projects/alpha", {"status": "archived"})
    error_of(response, 403, "forbidden")
    world.alpha.refresh_from_db()
    assert world.alpha.status == "active"


# --- members ----------------------------------------------------------------------------------


def test_list_members(world, api):
    response = api(world, "copywriter").get("/api/v1/projects/alpha/members")
    assert response.status_code == 200
    members = response.json()
    assert [m["user"]["username"] for m in members] == ["owner", "smm", "copywriter", "expert"]
    smm = members[1]
    assert set(smm) == {"id", "user", "roles", "capacity_hours", "joined_at"}
    assert set(smm["user"]) == {"id", "username", "name", "email"}
    assert smm["roles"] == ["smm"]
    assert Decimal(str(smm["capacity_hours"])) == Decimal("30")


@pytest.mark.parametrize(
    "who", [{"username": "smm"}, {"email": "SMM@example.test"}, {"username": "copywriter"}]
)
def test_adding_a_workspace_colleague_adds_them_directly(world, api, who):
    username = who.get("username", "smm")
    before = Invitation.objects.count()
    response = api(world, "owner").post(
        "/api/v1/projects/alpha-two/members", {**who, "roles": ["smm"], "capacity_hours": 15}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "member"
    assert body["invitation"] is None
    assert body["member"]["user"]["username"] == username
    membership = ProjectMembership.objects.get(project=world.alpha2, user__username=username)
    assert body["member"]["id"] == membership.pk
    assert membership.roles == ["smm"]
    assert membership.capacity_hours == Decimal("15")
    assert Invitation.objects.count() == before


def test_adding_an_unknown_username_is_422(world, api):
    response = api(world, "owner").post(
        "/api/v1/projects/alpha/members", {"username": "nobody", "roles": ["sales"]}
    )
    error = error_of(response, 422, "invalid")
    assert "username" in error["fields"]


def test_a_person_of_another_workspace_is_not_a_colleague(world, api):
    # other_expert works for agency B: by username they are unknown here.
    response = api(world, "owner").post(
        "/api/v1/projects/alpha/members", {"username": "other_expert", "roles": ["sales"]}
    )
    error_of(response, 422, "invalid")
    assert not ProjectMembership.objects.filter(
        project=world.alpha, user=world.users["other_expert"]
    ).exists()


def test_adding_an_unknown_email_invites_with_a_working_link(world, api, client):
    response = api(world, "owner").post(
        "/api/v1/projects/alpha/members",
        {"email": "new.person@example.test", "name": "Новый", "roles": ["designer"]},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invited"
    assert body["member"] is None
    invitation = body["invitation"]
    assert set(invitation) == {"id", "email", "roles", "capacity_hours", "expires_at", "link"}
    assert invitation["email"] == "new.person@example.test"
    assert invitation["roles"] == ["designer"]
    row = Invitation.objects.get(pk=invitation["id"])
    assert row.project == world.alpha
    assert row.email_status == "pending"

    page = client.get(urlsplit(invitation["link"]).path)
    assert page.status_code == 200
    assert page.context["invitation"] == row


def test_adding_with_neither_username_nor_email_gives_a_link(world, api, client):
    response = api(world, "owner").post("/api/v1/projects/alpha/members", {"roles": ["sales"]})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invited"
    assert body["invitation"]["email"] == ""
    assert client.get(urlsplit(body["invitation"]["link"]).path).status_code == 200


def test_adding_a_malformed_email_is_422(world, api):
    before = Invitation.objects.count()
    response = api(world, "owner").post(
        "/api/v1/projects/alpha/members", {"email": "not an e-mail", "roles": ["designer"]}
    )
    error = error_of(response, 422, "invalid")
    assert "email" in error["fields"]
    assert Invitation.objects.count() == before


def test_adding_with_a_role_the_service_refuses_is_422(world, api):
    response = api(world, "owner").post("/api/v1/projects/alpha/members", {"roles": []})
    error = error_of(response, 422, "invalid")
    assert "roles" in error["fields"]
    assert not Invitation.objects.filter(project=world.alpha, job_roles=[]).exists()


def test_patch_and_delete_a_member(world, api):
    caller = api(world, "smm")
    member_id = world.copywriter_membership.pk
    url = f"/api/v1/projects/alpha/members/{member_id}"

    patched = caller.patch(url, {"roles": ["copywriter", "designer"], "capacity_hours": 35})

    assert patched.status_code == 200
    assert patched.json()["roles"] == ["copywriter", "designer"]
    assert Decimal(str(patched.json()["capacity_hours"])) == Decimal("35")
    world.copywriter_membership.refresh_from_db()
    assert world.copywriter_membership.roles == ["copywriter", "designer"]
    assert world.copywriter_membership.capacity_hours == Decimal("35")

    only_hours = caller.patch(url, {"capacity_hours": 10})
    assert only_hours.json()["roles"] == ["copywriter", "designer"]

    error = error_of(caller.patch(url, {"capacity_hours": 500}), 422, "invalid")
    assert "capacity_hours" in error["fields"]
    error_of(caller.patch(url, {"roles": []}), 422, "invalid")
    world.copywriter_membership.refresh_from_db()
    assert world.copywriter_membership.capacity_hours == Decimal("10")

    deleted = caller.delete(url)
    assert deleted.status_code == 204
    assert not ProjectMembership.objects.filter(pk=member_id).exists()
    usernames = [m["user"]["username"] for m in caller.get("/api/v1/projects/alpha/members").json()]
    assert "copywriter" not in usernames
    error_of(caller.delete(url), 404, "not_found")


def test_deleting_yourself_is_422(world, api):
    own = ProjectMembership.objects.get(project=world.alpha, user=world.users["smm"])
    response = api(world, "smm").delete(f"/api/v1/projects/alpha/members/{own.pk}")
    error_of(response, 422, "invalid")
    assert ProjectMembership.objects.filter(pk=own.pk).exists()


def test_a_member_of_another_project_is_404(world, api):
    beta_member = ProjectMembership.objects.filter(project=world.beta).first()
    response = api(world, "owner").patch(
        f"/api/v1/projects/alpha/members/{beta_member.pk}", {"capacity_hours": 1}
    )
    error_of(response, 404, "not_found")
    beta_member.refresh_from_db()
    assert beta_member.capacity_hours != Decimal("1")


# --- requests the schema refuses -------------------------------------------------------------

MEMBERS = "/api/v1/projects/alpha/members"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/api/v1/projects?status=bogus", None, "status"),
        ("post", "/api/v1/projects", {}, "name"),
        ("post", "/api/v1/projects", {"name": "X", "start_date": "soon"}, "start_date"),
        ("patch", "/api/v1/projects/alpha", {"status": "done"}, "status"),
        ("post", MEMBERS, {"username": "smm", "roles": ["wizard"]}, "roles"),
        ("patch", MEMBERS + "/{member}", {"capacity_hours": "lots"}, "capacity_hours"),
    ],
)
def test_a_request_the_schema_refuses_answers_422_with_the_error_shape(
    world, api, method, path, body, field
):
    path = path.replace("{member}", str(world.copywriter_membership.pk))
    response = getattr(api(world, "owner"), method)(path, body)
    error = error_of(response, 422, "invalid")
    assert any(key.split(".")[0] == field for key in error["fields"]), error
    world.alpha.refresh_from_db()
    assert world.alpha.status == "active"
    assert not Project.objects.filter(name="X").exists()


# --- not found looks the same whatever the reason ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"status": "paused"}),
        ("get", "/members", None),
        ("post", "/members", {"username": "outsider", "roles": ["sales"]}),
    ],
)
def test_unknown_and_foreign_projects_answer_the_same_404(world, api, method, suffix, body):
    caller = api(world, "owner")
    unknown = getattr(caller, method)(f"/api/v1/projects/no-such-project{suffix}", body)
    foreign = getattr(caller, method)(f"/api/v1/projects/beta{suffix}", body)
    error_of(unknown, 404, "not_found")
    error_of(foreign, 404, "not_found")
    assert unknown.json() == foreign.json()
    world.beta.refresh_from_db()
    assert world.beta.status == "active"


# --- the schema -------------------------------------------------------------------------------


def test_openapi_schema_lists_the_paths_and_the_bearer_scheme(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/projects"])
    assert {"get", "patch"} <= set(paths["/api/v1/projects/{slug}"])
    assert {"get", "post"} <= set(paths["/api/v1/projects/{slug}/members"])
    assert {"patch", "delete"} <= set(paths["/api/v1/projects/{slug}/members/{member_id}"])
    assert "get" in paths["/api/v1/me"]
    schemes = schema["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s == {"type": "http", "scheme": "bearer"}]
    assert bearer, schemes
    operation = paths["/api/v1/projects"]["get"]
    assert {bearer[0]: []} in operation["security"]
