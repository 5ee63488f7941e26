"""GET /projects/{slug}/health and /workload, and the workload and health-settings pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import make_user
from zveno.playbooks import services as playbook_services
from zveno.projects import services as project_services
from zveno.team.models import HealthSettings
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole as R

pytestmark = pytest.mark.django_db

FINDING_KEYS = {"code", "severity", "title", "explanation", "evidence", "fix"}
SIX_NETWORKS = ["telegram", "instagram", "vk", "youtube", "dzen", "email"]


def test_health_lists_findings_in_one_shape_and_the_expert_may_read_it(world, api):
    for persona in ("owner", "smm", "copywriter", "expert"):
        response = api(world, persona).get("/api/v1/projects/alpha/health")
        assert response.status_code == 200, persona
        body = response.json()
        assert body and all(set(item) == FINDING_KEYS for item in body)
        assert all(item["severity"] in {"critical", "warning", "info"} for item in body)
    codes = [item["code"] for item in body]
    assert "H10" in codes  # alpha's SMM carries areas whose roles nobody holds


def test_health_and_workload_are_not_found_for_outsiders(world, api):
    for path in ("/api/v1/projects/alpha/health", "/api/v1/projects/alpha/workload"):
        response = api(world, "outsider").get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert api(world, None).get(path).status_code == 401


def test_a_solo_launch_created_through_the_api_gets_the_overload_findings(world, api):
    owner = api(world, "owner")
    created = owner.post(
        "/api/v1/projects",
        {
            "name": "Запуск в одиночку", "slug": "solo-launch", "workspace": "ws-a",
            "playbook": "info_product", "networks": SIX_NETWORKS, "my_roles": list(R.values),
        },
    )  # fmt: skip
    assert created.status_code == 201, created.content
    findings = owner.get("/api/v1/projects/solo-launch/health").json()
    by_code = {}
    for item in findings:
        by_code.setdefault(item["code"], []).append(item)
    assert {"H5", "H6", "H7", "H9"} <= set(by_code)
    assert any(f["evidence"].get("roles") == 12 for f in by_code["H5"])
    assert by_code["H6"][0]["evidence"]["overloaded_weeks"] >= 2
    assert by_code["H7"][0]["evidence"]["team_size"] == 1
    assert by_code["H9"][0]["evidence"]["networks"] == 6
    assert findings[0]["severity"] == "critical"
    load = owner.get("/api/v1/projects/solo-launch/workload").json()
    assert 3 <= load["recommendation"]["headcount"] <= 5
    assert load["recommendation"]["team_size"] == 1


def test_the_engaged_experts_project_has_no_critical_finding_in_the_api(world, api):
    owner = world.users["owner"]
    project = project_services.start_project(
        owner, world.workspace_a, networks=["telegram"], name="Риэлтор", slug="realtor",
        start_date=dt.date.today(),
    )  # fmt: skip
    ws.update_member(owner, project.memberships.get(), capacity_hours=Decimal(40))
    ws.add_member(owner, project, make_user("marina"), [R.EXPERT], 8)
    playbook_services.choose_playbook(owner, project, "real_estate")
    findings = api(world, "owner").get("/api/v1/projects/realtor/health").json()
    assert findings and not [f for f in findings if f["severity"] == "critical"]


def test_workload_shape_and_weeks(world, api):
    response = api(world, "copywriter").get("/api/v1/projects/alpha/workload?weeks=8")
    assert response.status_code == 200
    body = response.json()
    assert len(body["weeks"]) == 8
    assert dt.date.fromisoformat(body["weeks"][0]).isoweekday() == 1
    assert {m["name"] for m in body["members"]} == {"Owner", "Smm", "Copywriter", "Expert"}
    member = body["members"][0]
    assert set(member) == {
        "id", "name", "roles", "capacity_hours", "weeks", "overloaded_weeks", "peak_percent",
        "fallback_roles",
    }  # fmt: skip
    assert len(member["weeks"]) == 8
    assert set(member["weeks"][0]) == {"week", "hours", "percent", "over"}
    advice = body["recommendation"]
    assert advice["networks"] == ["telegram", "instagram"]
    assert advice["headcount"] == 2 and advice["missing_roles"] == ["stories_maker"]
    rows = {row["role"]: row for row in advice["rows"]}
    assert rows["copywriter"]["hours"] == 9.5  # telegram 4 + 1, instagram 2 + 1 + 3 x 0.5
    assert set(rows["copywriter"]) == {
        "role", "hours", "people_needed", "recommended", "actual", "gap",
    }  # fmt: skip
    assert {gap["role"] for gap in body["uncovered"]} == {"designer", "stories_maker",
                                                          "reels_maker"}  # fmt: skip
    assert api(world, "owner").get("/api/v1/projects/alpha/workload").json()["weeks"][3]


@pytest.mark.parametrize("weeks", ["0", "27", "many"])
def test_workload_refuses_weeks_out_of_range(world, api, weeks):
    response = api(world, "owner").get(f"/api/v1/projects/alpha/workload?weeks={weeks}")
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_the_expert_does_not_see_the_teams_workload(world, api):
    response = api(world, "expert").get("/api/v1/projects/alpha/workload")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# --- pages ------------------------------------------------------------------------------------


def test_the_workload_page_shows_the_heat_map_and_the_recommendation(world, login):
    client = login(world.users["copywriter"])
    url = reverse("team:workload", args=["alpha"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="heatmap"' in html and "Copywriter" in html
    assert html.count('class="num week"') == 4
    partial = client.get(f"{url}?weeks=12", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.count('class="num week"') == 12 and "<html" not in body
    assert login(world.users["expert"]).get(url).status_code == 403


def test_the_workload_page_highlights_overload(world, login):
    owner = world.users["owner"]
    project = project_services.start_project(
        owner, world.workspace_a, playbook="info_product", networks=SIX_NETWORKS,
        my_roles=list(R.values), name="Соло", slug="solo", start_date=dt.date.today(),
    )  # fmt: skip
    html = login(owner).get(reverse("team:workload", args=[project.slug])).content.decode()
    assert "is-over" in html and "heat crit" in html


def test_health_settings_page_saves_thresholds(world, login):
    url = reverse("team:health_settings", args=["ws-a"])
    client = login(world.users["owner"])
    assert client.get(url).status_code == 200
    form = {
        "roles_alarm": 5, "max_responsible_areas": 8, "overload_percent": 120,
        "overload_weeks": 2, "horizon_weeks": 6, "expert_min_share": 25,
    }  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 302
    saved = HealthSettings.objects.get(workspace=world.workspace_a)
    assert (saved.roles_alarm, saved.overload_percent, saved.horizon_weeks) == (5, 120, 6)
    bad = client.post(url, {**form, "overload_weeks": 9})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    assert login(world.users["smm"]).get(url).status_code == 403
    assert login(world.users["copywriter"]).get(url).status_code == 404
