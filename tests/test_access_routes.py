"""Every URL pattern and every API route, tried as every persona.

Routes are discovered from the URL resolver and the OpenAPI schema, never from a hand-kept list:
a new route that skips the access module, leaks another project's data or lets the wrong person
write makes this test fail. What each persona may do is written here by hand, independently of
``workspaces/roles.py``, so a wrong line in the capability table fails too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.analytics.fills import FILLS
from tests.conftest import CANARY_A1, CANARY_A2, CANARY_B1, PERSONAS, World, build_world
from zveno.config.api import api as ninja_api
from zveno.team.models import ChecklistItem


def content_item(world: World):
    """An item of Alpha waiting for the SMM's review, so that approvals are really attempted."""
    from zveno.content import services as content

    found = world.alpha.content_items.first()
    if found is not None:
        return found
    users = world.users
    item = content.create_item(
        users["smm"], world.alpha, title="Пост", format="post",
        planned_at=dt.datetime(2026, 11, 20, 12, 0),
        channel_ids=list(world.alpha.channels.values_list("pk", flat=True)),
    )  # fmt: skip
    content.transition(users["smm"], item, "copy")
    content.transition(users["copywriter"], item, "design")
    content.transition(users["smm"], item, "review")
    return item


LEAD = {
    "view_project", "manage_project", "manage_team", "edit_content", "review_content", "publish",
    "view_analytics", "log_metrics", "manage_analytics",
}  # fmt: skip
WS_MANAGER = {"workspace_view", "workspace_manage", "workspace_create_project"}
EXPECTED_CAPS = {
    "owner": LEAD | WS_MANAGER,
    "smm": LEAD | {"workspace_view"},
    "copywriter": {"view_project", "edit_content", "view_analytics"},
    "expert": {"view_project", "approve_as_expert", "answer_expert_requests", "view_analytics"},
    "outsider": set(),  # owns workspace B; nothing in workspace A
    "other_expert": set(),
    "anonymous": set(),
}
VISIBLE = {
    "owner": {CANARY_A1, CANARY_A2},
    "smm": {CANARY_A1},
    "copywriter": {CANARY_A1},
    "expert": {CANARY_A1},
    "outsider": {CANARY_B1},
    "other_expert": {CANARY_B1},
    "anonymous": set(),
}
CANARIES = {CANARY_A1, CANARY_A2, CANARY_B1}
WORKSPACE_A_PEOPLE = {"owner", "smm"}
PROJECT_A1_PEOPLE = {"owner", "smm", "copywriter", "expert"}


# --- discovery --------------------------------------------------------------------------------


def web_routes() -> list[tuple[str, list[str]]]:
    """(qualified name, kwargs) of every named URL pattern outside the API."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace and entry.namespace.startswith("api-"):
                    continue
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, ns)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"unnamed URL pattern {entry.pattern}: name it"
                found.append((namespace + entry.name, list(entry.pattern.converters)))

    walk(get_resolver().url_patterns, "")
    return found


def api_routes() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def fill_web(name: str, kwargs: list[str], world: World, persona: str) -> str:
    values = {}
    for kw in kwargs:
        if kw == "ws":
            values[kw] = world.workspace_a.slug
        elif kw == "slug":
            values[kw] = world.alpha.slug
        elif kw == "signed":
            values[kw] = world.invitation_link.rstrip("/").rsplit("/", 1)[-1]
        elif kw in {"uidb64", "token"}:
            values[kw] = "x"
        elif kw == "pk" and name.endswith("workspace_invitation_revoke"):
            values[kw] = world.workspace_invitation.pk
        elif kw == "pk" and name.endswith("invitation_revoke"):
            values[kw] = world.invitation.pk
        elif kw == "pk" and ":member_" in name:
            values[kw] = world.copywriter_membership.pk
        elif kw == "pk" and name.endswith("revoke_token"):
            values[kw] = world.users["owner"].api_tokens.first().pk  # the owner's token
        elif kw == "key":
            values[kw] = world.custom_playbook.key
        elif kw == "version":
            values[kw] = world.alpha.agreements.order_by("-version").first().version
        elif kw == "area":
            values[kw] = world.alpha.areas.get(code="copy").code
        elif kw == "member":
            values[kw] = world.copywriter_membership.pk
        elif kw == "stage":
            values[kw] = world.alpha.stages.first().pk
        elif kw == "task":
            values[kw] = world.alpha.tasks.filter(assignee=world.copywriter_membership).first().pk
        elif kw in {"feed", "feed_id"}:  # a live feed of Alpha, created by the owner
            from zveno.content.calendar import create_feed

            feed, raw = create_feed(world.users["owner"], world.alpha, whole_project=True)
            values[kw] = raw if kw == "feed" else feed.pk
        elif kw == "item" and name.startswith("content:"):
            values[kw] = content_item(world).pk
        elif kw == "item":
            values[kw] = ChecklistItem.objects.filter(task__project=world.alpha).first().pk
        elif kw == "media":
            from django.core.files.uploadedfile import SimpleUploadedFile

            from zveno.content import collab

            png = SimpleUploadedFile("v.png", b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png")
            values[kw] = collab.attach_media(world.users["smm"], content_item(world), png).pk
        elif kw == "file_id":  # a file of the expert's answer to a request of Alpha
            from django.core.files.uploadedfile import SimpleUploadedFile

            from tests.content.test_links import first_request
            from zveno.content import requests as expert_requests

            found = first_request(world)
            jpeg = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff\xe0" + bytes(32), "image/jpeg")
            answer = expert_requests.answer(world.users["expert"], found, text="Фото",
                                            files=[jpeg])  # fmt: skip
            values[kw] = answer.files.get().pk
        elif kw == "link":  # real signed links of expert requests and approvals
            from tests.content.test_links import signed_link

            values[kw] = signed_link(world, name)
        elif kw == "request_id":
            from tests.content.test_links import first_request

            values[kw] = first_request(world).pk
        elif kw in FILLS:
            values[kw] = FILLS[kw](world, name)
        else:
            pytest.fail(f"teach this test how to fill <{kw}> of route {name}")
    return reverse(name, kwargs=values)


def fill_api(path: str, world: World) -> str:
    values = {
        "slug": world.alpha.slug,
        "member_id": world.copywriter_membership.pk,
        "key": world.custom_playbook.key,
        "stage_id": world.alpha.stages.first().pk,
        "task_id": world.alpha.tasks.filter(assignee=world.copywriter_membership).first().pk,
        "version": world.alpha.agreements.order_by("-version").first().version,
    }
    if "{request_id}" in path:
        from tests.content.test_links import first_request

        values["request_id"] = first_request(world).pk
    if "{feed_id}" in path:  # a live feed of Alpha, created by the owner
        from zveno.content.calendar import create_feed

        values["feed_id"] = create_feed(world.users["owner"], world.alpha, whole_project=True)[0].pk
    if "{item_id}" in path:
        values["item_id"] = content_item(world).pk
        values["publication_id"] = content_item(world).publications.first().pk
    for key, fill in FILLS.items():
        if "{" + key + "}" in path:
            values[key] = fill(world, path)
    for key, value in values.items():
        path = path.replace("{" + key + "}", str(value))
    assert "{" not in path, f"teach this test how to fill the parameters of {path}"
    if path.endswith("/calendar"):
        path += "?from=2026-11-01&to=2026-11-30"
    return path


# Plausible bodies, so that writes are really attempted; a route without one gets an empty body.
WEB_FORMS = {
    "analytics:goal_new": {
        "name": "Охват ×5", "metric": "reach", "kind": "multiple", "target": "5",
        "window_days": "14", "baseline_mode": "computed",
    },
    "analytics:goal_edit": {
        "name": "Охват ×4", "metric": "reach", "kind": "multiple", "target": "4",
        "window_days": "14", "baseline_mode": "computed",
    },
    "analytics:daily": {"date": "2026-11-20", "leads": "1"},
    "publishing:channels": {"network": "vk", "name": "ВК", "slots": "Пн 10:00", "is_active": "on"},
    "publishing:channel_edit": {
        "network": "telegram", "name": "ТГ", "slots": "Ср 19:00", "is_active": "on",
        "cadence_post": "3",
    },
    "content:publication_edit": {"planned_at": "2026-11-20T15:00", "text": "Свой текст"},
    "projects:project_create": {
        "name": "Новый проект", "niche": "ecommerce", "goal_type": "reach_traffic",
        "start_date": "2026-12-01", "timezone": "Europe/Moscow", "status": "active",
    },
    "projects:project_edit": {
        "name": "Переименован", "slug": "alpha", "niche": "real_estate", "goal_type": "leads",
        "start_date": "2026-11-02", "timezone": "Europe/Moscow", "status": "paused",
    },
    "projects:members": {"email": "new@example.test", "roles": ["designer"],
                           "capacity_hours": "10", "language": "ru"},
    "projects:member_edit": {"roles": ["copywriter", "designer"], "capacity_hours": "35"},
    "projects:workspace_people": {"workspace_role": "member", "language": "ru"},
    "accounts:profile": {"name": "Новое Имя", "language": "ru", "timezone": "Asia/Omsk"},
    "accounts:tokens": {"name": "script"},
    "accounts:set_language": {"language": "en", "next": "/"},
}  # fmt: skip
API_BODIES = {
    ("POST", "/api/v1/projects/{slug}/goals"): {
        "name": "Охват ×5",
        "metric": "reach",
        "kind": "multiple",
        "target": 5,
        "window_days": 14,
    },
    ("PATCH", "/api/v1/projects/{slug}/goals/{goal_id}"): {"target": 4},
    ("POST", "/api/v1/projects/{slug}/channels"): {
        "network": "vk",
        "name": "ВК",
        "slots": [{"weekday": 0, "time": "10:00"}],
    },
    ("PATCH", "/api/v1/projects/{slug}/channels/{channel_id}"): {"name": "Новое имя"},
    ("POST", "/api/v1/projects/{slug}/items/{item_id}/publications/{publication_id}/confirm"): {
        "went_out": True,
    },
    ("POST", "/api/v1/projects/{slug}/items/{item_id}/comments"): {"text": "Комментарий @smm"},
    ("PATCH", "/api/v1/projects/{slug}/items/{item_id}/comments/{comment_id}"): {
        "text": "Исправлено",
    },
    ("POST", "/api/v1/projects"): {"name": "Проект из API", "workspace": "ws-a"},
    ("POST", "/api/v1/workspaces/{ws}/webhooks"): {
        "url": "http://192.0.2.1/hook",
        "events": ["goal.reached"],
    },
    ("PATCH", "/api/v1/workspaces/{ws}/webhooks/{endpoint_id}"): {
        "url": "http://192.0.2.1/hook",
        "events": ["goal.reached"],
    },
    ("PATCH", "/api/v1/projects/{slug}"): {"status": "paused"},
    ("POST", "/api/v1/projects/{slug}/members"): {"email": "x@example.test", "roles": ["sales"]},
    ("PATCH", "/api/v1/projects/{slug}/members/{member_id}"): {"capacity_hours": 33},
    ("PUT", "/api/v1/projects/{slug}/matrix"): {"cells": {"copy": {}}},
    ("POST", "/api/v1/projects/{slug}/stages"): {
        "name": "Эфир",
        "start_date": "2026-12-01",
        "end_date": "2026-12-02",
    },
    ("PATCH", "/api/v1/projects/{slug}/stages/{stage_id}"): {"name": "Старт"},
    ("POST", "/api/v1/projects/{slug}/tasks"): {"title": "Задача"},
    ("PATCH", "/api/v1/projects/{slug}/tasks/{task_id}"): {"status": "done"},
    ("POST", "/api/v1/projects/{slug}/items"): {
        "title": "Пост из API",
        "format": "post",
        "planned_at": "2026-11-25T10:00:00Z",
    },
    ("PATCH", "/api/v1/projects/{slug}/items/{item_id}"): {"text": "Новый текст"},
    ("PATCH", "/api/v1/projects/{slug}/items/{item_id}/publications/{publication_id}"): {
        "text": "Свой текст для канала",
    },
    ("POST", "/api/v1/projects/{slug}/items/{item_id}/transition"): {"to": "cancelled"},
    ("POST", "/api/v1/projects/{slug}/items/{item_id}/approve"): {"comment": "Да"},
    ("POST", "/api/v1/projects/{slug}/expert-requests"): {
        "question": "Ваше мнение?",
        "kind": "opinion",
        "due_date": "2026-11-30",
    },
    ("POST", "/api/v1/projects/{slug}/expert-requests/{request_id}/answer"): {"text": "Вот"},
    ("POST", "/api/v1/projects/{slug}/items/{item_id}/request-changes"): {
        "comment": "Переписать",
        "return_to": "copy",
    },
}


# --- the state of the world -------------------------------------------------------------------

VOLATILE = {"last_login", "last_used_at", "updated_at"}


MODELS = [
    (model, [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE])
    for label in (
        "accounts",
        "workspaces",
        "playbooks",
        "publishing",
        "team",
        "analytics",
        "content",
        "webhooks",
    )
    for model in apps.get_app_config(label).get_models()
]


def snapshot() -> dict:
    """Every row of Zveno's own tables (less time stamps that change on any visit)."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list(*fields))
        for model, fields in MODELS
    }


def judge(persona, route, scope, response, before, after, public):
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode(errors="replace")  # FileResponse (private media) streams
    status = response.status_code
    decisions = getattr(response, "access_decisions", [])
    assert status < 500, f"{route}: {status}\n{body[:800]}"
    if not public:
        for canary in CANARIES - VISIBLE[persona]:
            assert canary not in body, f"{persona} saw {canary!r} at {route}"
    refused_shape = status in (400, 422) and route.split()[0] in {"POST", "PATCH", "PUT"}
    if persona != "anonymous" and status != 405 and not refused_shape:
        # An API body refused by the schema never reaches the operation (nor the module).
        assert decisions, f"{route} answered {persona} without asking the access module"
    if scope == "project" and persona not in PROJECT_A1_PEOPLE and not public:
        assert status in (302, 401, 404, 405), f"{persona} got {status} at {route}"
    if scope == "workspace" and persona not in WORKSPACE_A_PEOPLE:
        assert status in (302, 401, 404, 405), f"{persona} got {status} at {route}"
    required = {d.split(":", 1)[1] for d in decisions if d.startswith(("project:", "workspace:"))}
    required = {need for need in required if not need.endswith("?")}
    lacking = required - EXPECTED_CAPS[persona]
    if lacking:
        assert status in (403, 404), f"{persona} lacks {lacking} but got {status} at {route}"
    if status == 403:
        assert lacking, f"{route} refused {persona} (403) though they hold {sorted(required)}"
    if before != after:
        assert not lacking, f"{persona} changed data at {route} without {lacking}"
        assert persona != "anonymous" or public, f"anonymous changed data at {route}"


def scope_of(kwargs_or_path) -> str:
    text = " ".join(kwargs_or_path) if isinstance(kwargs_or_path, list) else kwargs_or_path
    if "slug" in text:
        return "project"
    if "ws" in text.split() or "{ws}" in text:
        return "workspace"
    return "account"


# --- the tests --------------------------------------------------------------------------------

WEB = web_routes()
API = api_routes()


def test_discovery_finds_the_routes():
    names = {name for name, _ in WEB}
    assert {"home", "accounts:login", "projects:project", "projects:members"} <= names
    assert ("POST", "/api/v1/projects/{slug}/members") in API
    assert ("GET", "/api/v1/projects") in API


def each_persona(client):
    """Runs the body once per persona, each time on the same world, rolled back afterwards."""
    for persona in PERSONAS:
        with transaction.atomic():
            client.logout()
            yield persona
            transaction.set_rollback(True)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "kwargs"), WEB, ids=[name for name, _ in WEB])
def test_web_route(db, client, method, name, kwargs):
    world = build_world()
    for persona in each_persona(client):
        if persona != "anonymous":
            client.force_login(world.users[persona])
        url = fill_web(name, kwargs, world, persona)
        before = snapshot()
        form = WEB_FORMS.get(name, {})
        response = client.get(url) if method == "get" else client.post(url, form)
        after = snapshot()
        public = "public" in getattr(response, "access_decisions", [])
        if persona == "anonymous" and not public:
            assert response.status_code in (302, 405), f"{name}: {response.status_code}"
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("accounts:login"))
        judge(persona, name, scope_of(kwargs), response, before, after, public)
        if name == "accounts:revoke_token" and persona != "owner":
            assert world.users["owner"].api_tokens.filter(revoked_at__isnull=True).count() == 1


@pytest.mark.parametrize(("method", "path"), API, ids=[f"{m} {p}" for m, p in API])
def test_api_route(db, client, api, method, path):
    world = build_world()
    for persona in each_persona(client):
        url = fill_api(path, world)
        before = snapshot()
        body = API_BODIES.get((method, path), {}) if method in {"POST", "PATCH", "PUT"} else None
        caller = api(world, persona if persona != "anonymous" else None)
        response = getattr(caller, method.lower())(url, body)
        after = snapshot()
        route = f"{method} {path} as {persona}"
        if persona == "anonymous":
            assert response.status_code == 401, route
            assert response.json()["error"]["code"] == "unauthorized"
            assert before == after
            continue
        judge(persona, f"{method} {path}", scope_of(path), response, before, after, public=False)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "fields"}, route


def test_a_view_that_skips_the_access_module_is_refused(db, client, settings):
    """The audit itself: a route whose view never asks the access module answers 500."""
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    from zveno.config import urls

    def leaky(request):
        return HttpResponse("secret")

    world = build_world()
    original = list(urls.urlpatterns)
    urls.urlpatterns.append(path("leaky/", leaky, name="leaky"))
    clear_url_caches()
    try:
        client.force_login(world.users["owner"])
        response = client.get("/leaky/")
    finally:
        urls.urlpatterns[:] = original
        clear_url_caches()
    assert response.status_code == 500
    assert b"without an access check" in response.content


def test_world_dates_are_fixed():
    # The world uses fixed dates so the tests do not depend on today's date.
    assert dt.date(2026, 11, 2).isoweekday() == 1
