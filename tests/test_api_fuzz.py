"""A bounded fuzz of the whole API, driven by its own schema: no request gets a server error.

Every operation in /api/v1/openapi.json is called as the workspace owner with a sensible request
built from its schema, then once per parameter or body field with each hostile value (integers
beyond 64 bits, 1e308, years 1 and 9999, wrong types). Any 5xx fails the test, naming the call.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client

from zveno.workspaces.models import Project

pytestmark = pytest.mark.django_db

HOSTILE = [2**64, -(2**63) - 1, 0, -1, 1e308, -1e308, "0001-01-01", "9999-12-31", "x" * 300, None]
HOSTILE_DATETIMES = ["0001-01-01T00:00:00", "9999-12-31T23:59:59"]


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return resolve(spec, schema["allOf"][0])
    return schema


def sample(spec: dict, schema: dict, depth: int = 0):
    """A plausible value for a schema."""
    schema = resolve(spec, schema)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if resolve(spec, o).get("type") != "null"]
            return sample(spec, options[0], depth) if options else None
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string":
        return {"date": "2026-12-10", "date-time": "2026-12-10T10:00:00"}.get(fmt, "Тест")
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [] if depth > 2 else [sample(spec, schema.get("items", {}), depth + 1)][:0]
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {
            name: sample(spec, sub, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if name in required
        }
    return None


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            yield path, method, op


IDS: dict = {}


def path_value(name: str, value=None):
    if value is not None:
        return value
    return {"slug": "alpha", "key": "real_estate"}.get(name) or IDS.get(name, 1)


def real_ids(world) -> dict:
    """Ids of real rows of Alpha, so hostile bodies reach the operations, not a 404."""
    import datetime as dt

    from tests.content.conftest import make_item
    from zveno.analytics.models import Import
    from zveno.content import calendar, collab
    from zveno.content import requests as expert_requests

    smm, alpha = world.users["smm"], world.alpha
    item = make_item(world)
    found = expert_requests.ask(
        smm, alpha, question="Q", kind="story", due_date=dt.date(2026, 12, 10)
    )
    batch = Import.objects.create(
        project=alpha, preset="zveno_posts", filename="p.csv", file="imports/p.csv",
        status="done", created_by=smm,
    )  # fmt: skip
    return {
        "item_id": item.pk,
        "publication_id": item.publications.first().pk,
        "comment_id": collab.add_comment(smm, item, "Текст").pk,
        "request_id": found.pk,
        "feed_id": calendar.create_feed(smm, alpha, whole_project=True)[0].pk,
        "import_id": batch.pk,
        "task_id": alpha.tasks.first().pk,
        "stage_id": alpha.stages.first().pk,
        "goal_id": alpha.goals.first().pk,
        "channel_id": alpha.channels.first().pk,
        "member_id": world.copywriter_membership.pk,
    }


def body_schema(spec: dict, op: dict) -> tuple[str | None, dict | None]:
    content = op.get("requestBody", {}).get("content", {})
    for kind in ("application/json", "multipart/form-data"):
        if kind in content:
            return kind, resolve(spec, content[kind]["schema"])
    return None, None


def calls(spec: dict, path: str, method: str, op: dict):
    """(url, query, body) triples: the plain call, then one hostile value at a time."""
    params = op.get("parameters", [])
    path_params = [p["name"] for p in params if p["in"] == "path"]
    query_params = [p for p in params if p["in"] == "query"]
    kind, schema = body_schema(spec, op)
    base_body = sample(spec, schema) if kind == "application/json" else None
    base_query = {
        p["name"]: sample(spec, p.get("schema", {})) for p in query_params if p.get("required")
    }

    def url(overrides=None):
        overrides = overrides or {}
        out = path
        for name in path_params:
            out = out.replace("{" + name + "}", str(path_value(name, overrides.get(name))))
        return out

    yield url(), base_query, base_body
    for name in path_params:
        if name != "slug":
            for value in (2**64, 2**63, -1, 0, "1e308"):
                yield url({name: value}), base_query, base_body
    for param in query_params:
        for value in [*HOSTILE, *HOSTILE_DATETIMES]:
            if value is None:
                continue
            yield url(), {**base_query, param["name"]: value}, base_body
    if kind == "application/json" and isinstance(base_body, dict):
        for field, sub in (schema.get("properties") or {}).items():
            sub = resolve(spec, sub)
            values = [*HOSTILE, *HOSTILE_DATETIMES, [2**64], [1, 2**70], {"x": 1e308}]
            for value in values:
                body = copy.deepcopy(base_body)
                body[field] = value
                yield url(), base_query, body


def test_no_request_gets_a_server_error(world):
    client = Client(raise_request_exception=False)  # a server error is an answer to count
    spec = client.get("/api/v1/openapi.json").json()
    headers = {"Authorization": f"Bearer {world.tokens['owner']}"}
    failures, count = [], 0
    IDS.clear()
    IDS.update(real_ids(world))
    alpha = Project.objects.filter(pk=world.alpha.pk)
    kept = alpha.values("slug", "status", "timezone").get()

    def call(method, url, query, body):
        nonlocal count
        count += 1
        kwargs = {"headers": headers, "QUERY_STRING": _query(query)}
        if method in ("post", "put", "patch"):
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(url, **kwargs)
        alpha.update(**kept)  # a renamed or closed project would turn the rest into 404s
        if response.status_code >= 500:
            failures.append(
                f"{method.upper()} {url}?{_query(query)} {body!r:.200} → {response.status_code}"
            )

    # Deleting operations go last, so the others still find their objects.
    ordered = sorted(operations(spec), key=lambda o: o[1] == "delete")
    for path, method, op in ordered:
        for url, query, body in calls(spec, path, method, op):
            call(method, url, query, body)
    # Then every read again: whatever was accepted above must not break a later answer.
    for path, method, op in ordered:
        if method == "get":
            url, query, body = next(calls(spec, path, method, op))
            call(method, url, query, body)
    assert count > 1000, count  # the fuzz really ran
    assert not failures, f"{len(failures)} server errors of {count}:\n" + "\n".join(failures[:40])


def _query(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode({k: ("" if v is None else v) for k, v in query.items()})
