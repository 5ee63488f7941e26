"""The published API schema tells the truth: one name per schema, and real answers (successes and
errors) validate against what the schema documents for their status."""

from __future__ import annotations

import collections
import json

import jsonschema
import pytest
from django.test import Client
from ninja import Schema

from tests.test_api_fuzz import IDS, calls, operations, real_ids
from zveno.config.api import api

pytestmark = pytest.mark.django_db


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_schema_name_is_one_type():
    modules = collections.defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("zveno."):
            modules[cls.__name__].add(cls.__module__)
    assert {n: m for n, m in modules.items() if len(m) > 1} == {}
    names = api.get_openapi_schema()["components"]["schemas"]
    assert {"FunnelStepOut", "StepOut", "StageOut", "PlaybookStageOut", "ImportOut",
            "PlanImportOut", "ErrorOut"} <= set(names)  # fmt: skip


def test_errors_are_documented():
    spec = api.get_openapi_schema()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            codes = {str(c) for c in op["responses"]}
            assert "422" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
    assert "409" in {str(c) for c in spec["paths"]["/api/v1/playbooks/{key}"]["get"]["responses"]}


def _validator(spec: dict, schema: dict):
    root = {**schema, "components": spec["components"]}
    return jsonschema.Draft202012Validator(root)


def test_real_answers_match_the_schema(world):
    client = Client(raise_request_exception=False)
    spec = json.loads(json.dumps(api.get_openapi_schema()))  # keys as the served JSON has them
    IDS.clear()
    IDS.update(real_ids(world))
    headers = {"Authorization": f"Bearer {world.tokens['owner']}"}
    checked, problems = collections.Counter(), []
    ordered = sorted(operations(spec), key=lambda o: o[1] == "delete")
    for path, method, op in ordered:
        for n, (url, query, body) in enumerate(calls(spec, path, method, op)):
            if n > 3:  # the plain call and a few refusals of each operation
                break
            kwargs = {"headers": headers, "QUERY_STRING": _query(query)}
            if method in ("post", "put", "patch"):
                kwargs.update(data=json.dumps(body), content_type="application/json")
            response = getattr(client, method)(url, **kwargs)
            documented = op["responses"].get(str(response.status_code))
            if documented is None:
                problems.append(f"{method} {url}: {response.status_code} is not documented")
                continue
            content = documented.get("content", {}).get("application/json")
            if content is None or not response.get("Content-Type", "").startswith(
                "application/json"
            ):
                continue
            errors = list(_validator(spec, content["schema"]).iter_errors(response.json()))
            checked[response.status_code] += 1
            if errors:
                problems.append(f"{method} {url} {response.status_code}: {errors[0].message:.200}")
    assert sum(checked.values()) > 100 and checked[200] > 20 and checked[422] > 20, checked
    assert not problems, "\n".join(problems[:30])


def _query(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode({k: ("" if v is None else v) for k, v in query.items()})
