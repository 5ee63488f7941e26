"""GET /api/v1/playbooks and /api/v1/playbooks/{key}: built-ins and the caller's own playbooks."""

from __future__ import annotations

from importlib.resources import files

import pytest
import yaml

from zveno.playbooks import services as playbook_services
from zveno.playbooks.loader import BUILTIN_KEYS
from zveno.workspaces import services as ws

DATA = files("zveno.playbooks") / "data"


def data_file(key: str) -> dict:
    return yaml.safe_load((DATA / f"{key}.yaml").read_text(encoding="utf-8"))


def test_list_has_builtins_then_the_callers_own(world, api):
    response = api(world, "owner").get("/api/v1/playbooks")
    assert response.status_code == 200
    rows = response.json()
    assert [row["key"] for row in rows] == [*BUILTIN_KEYS, "alpha_playbook"]
    realty = rows[0]
    source = data_file("real_estate")
    assert realty == {
        "key": "real_estate",
        "name": source["name"],
        "goal_type": "leads",
        "builtin": True,
        "workspace": None,
        "based_on": None,
        "stages": len(source["stages"]),
        "duration_days": sum(stage["duration_days"] for stage in source["stages"]),
    }
    own = rows[-1]
    assert (own["builtin"], own["workspace"], own["based_on"]) == (False, "ws-a", "real_estate")


@pytest.mark.parametrize("persona", ["outsider", "expert", "copywriter", "other_expert"])
def test_others_see_only_the_builtins(world, api, persona):
    rows = api(world, persona).get("/api/v1/playbooks").json()
    assert [row["key"] for row in rows] == list(BUILTIN_KEYS)


def test_a_builtin_is_its_data_file(world, api):
    response = api(world, "expert").get("/api/v1/playbooks/info_product")
    assert response.status_code == 200
    body = response.json()
    assert (body.pop("builtin"), body.pop("workspace"), body.pop("based_on")) == (True, None, None)
    assert body == data_file("info_product")


def test_a_custom_playbook_is_its_stored_document(world, api):
    response = api(world, "smm").get("/api/v1/playbooks/alpha_playbook")
    assert response.status_code == 200
    body = response.json()
    assert (body.pop("builtin"), body.pop("workspace"), body.pop("based_on")) == (
        False,
        "ws-a",
        "real_estate",
    )
    assert body == world.custom_playbook.document


@pytest.mark.parametrize("persona", ["outsider", "expert", "other_expert"])
def test_another_workspaces_playbook_is_404(world, api, persona):
    response = api(world, persona).get("/api/v1/playbooks/alpha_playbook")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "fields": {}}
    }


def test_unknown_key_and_foreign_workspace_are_404(world, api):
    caller = api(world, "owner")
    assert caller.get("/api/v1/playbooks/no_such").status_code == 404
    assert caller.get("/api/v1/playbooks/alpha_playbook?workspace=ws-b").status_code == 404


def test_anonymous_is_401(world, api):
    assert api(world, None).get("/api/v1/playbooks").status_code == 401
    assert api(world, None).get("/api/v1/playbooks/real_estate").status_code == 401


def test_the_same_key_in_two_workspaces_needs_the_workspace(world, api):
    owner = world.users["owner"]
    second = ws.create_workspace(owner, "Агентство В", slug="ws-c")
    playbook_services.clone_playbook(owner, second, "ecommerce", key="alpha_playbook")
    caller = api(world, "owner")
    response = caller.get("/api/v1/playbooks/alpha_playbook")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    response = caller.get("/api/v1/playbooks/alpha_playbook?workspace=ws-c")
    assert response.status_code == 200
    assert (response.json()["workspace"], response.json()["goal_type"]) == ("ws-c", "reach_traffic")
    rows = caller.get("/api/v1/playbooks").json()
    assert [(r["key"], r["workspace"]) for r in rows if not r["builtin"]] == [
        ("alpha_playbook", "ws-a"),
        ("alpha_playbook", "ws-c"),
    ]


def test_the_schema_documents_both_routes():
    from zveno.config.api import api as ninja_api

    paths = ninja_api.get_openapi_schema()["paths"]
    assert "get" in paths["/api/v1/playbooks"]
    assert "get" in paths["/api/v1/playbooks/{key}"]
