"""The command line: API tokens, the demo workspace, the first administrator."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tests.conftest import make_user
from zveno.accounts.models import ApiToken, hash_secret
from zveno.workspaces.models import Project, ProjectMembership, Workspace, WorkspaceMembership

pytestmark = pytest.mark.django_db

User = get_user_model()
DEMO_SLUGS = {"realtor-msk", "realtor-kazan", "course-launch", "course-launch-solo", "sofa-shop"}
EXPERTS = {
    "olga": {"realtor-msk"},
    "marina": {"realtor-kazan"},
    "viktoria": {"course-launch", "course-launch-solo"},  # both phases of her launch
    "sergey": {"sofa-shop"},
}
ADMIN_PASSWORD = "Quiet-Harbour-2291"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def demo_passwords(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        match = re.match(r"^\s+(\w+)\s+(\S+)\s{3}", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


# --- token ------------------------------------------------------------------------------------


def test_token_create_prints_a_token_that_works_as_bearer(db, api):
    user = make_user("scripter", name="Скрипт")

    raw = run("token", "create", "scripter", "--name", "nightly report").strip()

    assert raw.startswith("zv_")
    assert "\n" not in raw
    token = ApiToken.objects.get(user=user)
    assert token.name == "nightly report"
    assert token.token_hash == hash_secret(raw)
    me = api(raw).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "scripter"


def test_token_list_shows_hints_not_tokens(db):
    make_user("scripter")
    raw = run("token", "create", "scripter").strip()
    listing = run("token", "list", "scripter")
    assert raw not in listing
    assert raw[:10] in listing
    assert "active" in listing


@pytest.mark.parametrize("action", ["create", "list"])
def test_token_for_an_unknown_user_is_a_command_error(db, action):
    with pytest.raises(CommandError):
        run("token", action, "nobody")
    assert not ApiToken.objects.exists()


def test_token_for_a_disabled_user_is_a_command_error(db):
    make_user("gone", is_active=False)
    with pytest.raises(CommandError):
        run("token", "create", "gone")
    assert not ApiToken.objects.exists()


# --- demo -------------------------------------------------------------------------------------


def test_demo_creates_the_workspace_projects_and_people(db, client):
    output = run("demo")

    workspace = Workspace.objects.get(slug="demo")
    assert set(Project.objects.filter(workspace=workspace).values_list("slug", flat=True)) == (
        DEMO_SLUGS
    )
    owner = WorkspaceMembership.objects.get(workspace=workspace, role="owner").user
    assert owner.username == "demo"
    assert (
        set(ProjectMembership.objects.filter(user=owner).values_list("project__slug", flat=True))
        == DEMO_SLUGS
    )
    passwords = demo_passwords(output)
    assert set(passwords) >= {"demo", *EXPERTS}

    assert client.login(username="demo", password=passwords["demo"])
    page = client.get(reverse("projects:workspace", args=["demo"]))
    assert page.status_code == 200
    assert {p.slug for p in page.context["projects"]} == DEMO_SLUGS
    client.logout()

    for expert, slugs in EXPERTS.items():
        assert client.login(username=expert, password=passwords[expert]), expert
        home = client.get(reverse("home"))
        if len(slugs) == 1:
            assert home.status_code == 302
            assert home["Location"] == reverse("projects:project", args=[*slugs])
        else:
            assert {p.slug for p in home.context["projects"]} == slugs
        for slug in slugs:
            assert client.get(reverse("projects:project", args=[slug])).status_code == 200
        for other in DEMO_SLUGS - slugs:
            assert client.get(reverse("projects:project", args=[other])).status_code == 404
        assert client.get(reverse("projects:workspace", args=["demo"])).status_code == 404
        for membership in ProjectMembership.objects.filter(user__username=expert):
            assert membership.roles == ["expert"]
        client.logout()


def test_demo_again_prints_new_passwords_and_old_ones_stop_working(db, client):
    first = demo_passwords(run("demo"))
    users = User.objects.count()
    projects = Project.objects.count()

    second = demo_passwords(run("demo"))

    assert set(first) == set(second)
    assert User.objects.count() == users
    assert Project.objects.count() == projects  # nothing duplicated
    for username in ("demo", "olga", "igor"):
        assert first[username] != second[username]
        assert not client.login(username=username, password=first[username])
        assert client.login(username=username, password=second[username])
        client.logout()


# --- createadmin ------------------------------------------------------------------------------


def test_createadmin_noinput_creates_an_owner_of_a_new_workspace(db, monkeypatch, client):
    monkeypatch.setenv("ZVENO_ADMIN_PASSWORD", ADMIN_PASSWORD)

    output = run(
        "createadmin",
        "--noinput",
        "--username",
        "boss",
        "--email",
        "boss@example.test",
        "--name",
        "Начальник",
        "--workspace",
        "Агентство Босса",
    )

    boss = User.objects.get(username="boss")
    assert boss.email == "boss@example.test"
    assert boss.name == "Начальник"
    assert boss.check_password(ADMIN_PASSWORD)
    membership = WorkspaceMembership.objects.get(user=boss)
    assert membership.role == "owner"
    assert membership.workspace.name == "Агентство Босса"
    assert "boss" in output
    assert client.login(username="boss@example.test", password=ADMIN_PASSWORD)
    home = client.get(reverse("home"))
    assert home["Location"] == reverse("projects:workspace", args=[membership.workspace.slug])
    assert client.get(home["Location"]).context["can_create"] is True


def test_createadmin_noinput_names_the_workspace_after_the_login_by_default(db, monkeypatch):
    monkeypatch.setenv("ZVENO_ADMIN_PASSWORD", ADMIN_PASSWORD)
    run("createadmin", "--noinput", "--username", "solo")
    membership = WorkspaceMembership.objects.get(user__username="solo")
    assert membership.role == "owner"
    assert membership.workspace.name == "solo"


@pytest.mark.parametrize("password", [None, "", "12345678"])
def test_createadmin_without_a_good_password_creates_nothing(db, monkeypatch, password):
    if password is None:
        monkeypatch.delenv("ZVENO_ADMIN_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("ZVENO_ADMIN_PASSWORD", password)
    with pytest.raises(CommandError):
        run("createadmin", "--noinput", "--username", "boss", "--workspace", "W")
    assert not User.objects.filter(username="boss").exists()
    assert not Workspace.objects.exists()


def test_createadmin_refuses_a_taken_login(db, monkeypatch):
    make_user("boss")
    monkeypatch.setenv("ZVENO_ADMIN_PASSWORD", ADMIN_PASSWORD)
    with pytest.raises(CommandError):
        run("createadmin", "--noinput", "--username", "BOSS", "--workspace", "W")
    assert not Workspace.objects.exists()
