"""Shared fixtures: a small world of two workspaces and the named personas who live in it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from zveno.accounts import services as account_services
from zveno.playbooks import services as playbook_services
from zveno.publishing import services as publishing_services
from zveno.team import services as team_services
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole, WorkspaceRole

pytest_plugins = [
    "tests.clock",
    "tests.fakes.fixtures",  # the network fakes: fake_vk, …
]

PASSWORD = "correct-horse-battery-staple"
CANARY_A1 = "Альфа-канарейка"
CANARY_A2 = "Секретный-проект-А2"
CANARY_B1 = "Чужой-проект-Б1"

PERSONAS = ("owner", "smm", "copywriter", "expert", "outsider", "other_expert", "anonymous")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    workspace_a: object = None
    workspace_b: object = None
    alpha: object = None  # project A1: the personas' project
    alpha2: object = None  # project A2: same workspace, only the owner sees it
    beta: object = None  # project B1: another agency's project
    copywriter_membership: object = None
    invitation: object = None
    invitation_link: str = ""
    workspace_invitation: object = None
    custom_playbook: object = None


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.test", **extra
    )


def build_world() -> World:
    w = World()
    for name in PERSONAS[:-1]:
        w.users[name] = make_user(name, name=name.title())
    start = dt.date(2026, 11, 2)
    w.workspace_a = ws.create_workspace(w.users["owner"], "Агентство А", slug="ws-a")
    ws.add_workspace_member(w.workspace_a, w.users["smm"], WorkspaceRole.MEMBER)
    w.alpha = ws.create_project(
        w.users["owner"], w.workspace_a, name=CANARY_A1, slug="alpha", start_date=start,
        niche="real_estate", goal_type="leads", my_roles=[JobRole.PRODUCER],
    )  # fmt: skip
    w.alpha2 = ws.create_project(
        w.users["owner"], w.workspace_a, name=CANARY_A2, slug="alpha-two", start_date=start
    )
    owner = w.users["owner"]
    ws.add_member(owner, w.alpha, w.users["smm"], [JobRole.SMM], 30)
    w.copywriter_membership = ws.add_member(
        owner, w.alpha, w.users["copywriter"], [JobRole.COPYWRITER], 20
    )
    ws.add_member(owner, w.alpha, w.users["expert"], [JobRole.EXPERT], 3)
    # Alpha follows the real-estate playbook on two networks: areas, matrix, stages, tasks,
    # agreement version 1 and draft goals exist.
    publishing_services.set_networks(owner, w.alpha, ["telegram", "instagram"])
    playbook_services.choose_playbook(owner, w.alpha, "real_estate")
    copy_task = w.alpha.tasks.filter(assignee=w.copywriter_membership).first()
    team_services.add_checklist_item(owner, copy_task, "Сверить цифры с экспертом")
    w.custom_playbook = playbook_services.clone_playbook(
        owner, w.workspace_a, "real_estate", key="alpha_playbook"
    )
    w.workspace_b = ws.create_workspace(w.users["outsider"], "Агентство Б", slug="ws-b")
    w.beta = ws.create_project(
        w.users["outsider"], w.workspace_b, name=CANARY_B1, slug="beta", start_date=start
    )
    ws.add_member(w.users["outsider"], w.beta, w.users["other_expert"], [JobRole.EXPERT], 2)
    w.invitation = account_services.invite(
        owner, project=w.alpha, name="Новый дизайнер", job_roles=[JobRole.DESIGNER]
    )
    w.invitation_link = account_services.invitation_link(w.invitation)
    w.workspace_invitation = account_services.invite(
        owner, workspace=w.workspace_a, name="Новый менеджер", workspace_role=WorkspaceRole.ADMIN
    )
    for name, user in w.users.items():
        _token, raw = account_services.create_api_token(user, "tests")
        w.tokens[name] = raw
    return w


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api(client):
    """Calls the API as a persona: api(world, "smm").get("/api/v1/projects")."""

    class Caller:
        def __init__(self, token: str | None):
            self.headers = {"Authorization": f"Bearer {token}"} if token else {}

        def __getattr__(self, method):
            def call(path, data=None, **kwargs):
                if data is not None and method in {"post", "patch", "put"}:
                    kwargs.setdefault("content_type", "application/json")
                    return getattr(client, method)(path, data, headers=self.headers, **kwargs)
                return getattr(client, method)(path, headers=self.headers, **kwargs)

            return call

    def _as(world_or_token, persona: str | None = None):
        token = world_or_token.tokens.get(persona) if persona else world_or_token
        return Caller(token)

    return _as


@pytest.fixture(scope="session", autouse=True)
def _own_data_dir():
    """The run's private data dir (settings make one per process) is removed at the end."""
    yield
    if settings.DATA_DIR.name.startswith("zveno-test-"):
        shutil.rmtree(settings.DATA_DIR, ignore_errors=True)


def service_available(kind: str) -> bool:
    import socket

    host, port = {"postgres": ("127.0.0.1", 5432), "redis": ("127.0.0.1", 6379)}[kind]
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(kind: str) -> None:
    """Skip when a service is missing, except in CI, where a missing service is a failure."""
    if service_available(kind):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{kind} is not running, and CI requires it")
    pytest.skip(f"{kind} is not running on 127.0.0.1")
