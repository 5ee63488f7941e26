"""Pages and API that list projects cost the same number of queries for 5 or 50 projects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zveno.analytics import services as analytics
from zveno.analytics.models import Goal, GoalState, GoalStatus
from zveno.core.timezones import today_in
from zveno.playbooks import services as playbooks
from zveno.publishing import services as publishing
from zveno.team import health, workload
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole

SIZES = (5, 50)


def _add_project(owner, workspace, n: int, *, full: bool, expert=None):
    project = ws.create_project(
        owner, workspace, name=f"Клиент {n:03}", slug=f"client-{n}",
        start_date=dt.date(2026, 11, 2), my_roles=[JobRole.SMM],
    )  # fmt: skip
    publishing.set_networks(owner, project, ["telegram", "vk"])
    if full:
        playbooks.choose_playbook(owner, project, "real_estate")
        ws.add_member(owner, project, expert, [JobRole.EXPERT], 3)
    Goal.objects.create(
        project=project, name="Охват", metric="reach", kind="absolute", target=500,
        window_days=14, status=GoalStatus.ACTIVE, state=GoalState.ON_TRACK,
    )  # fmt: skip
    day = today_in(project.timezone) - dt.timedelta(days=2)
    when = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    analytics.create_post(
        project, external_id=f"x{n}", published_at=when, counters={"reach": 100, "likes": 3},
        captured_at=when + dt.timedelta(hours=30),
    )  # fmt: skip
    return project


@pytest.fixture
def agency(world):
    """An agency workspace of the owner's that grows from 5 to 50 projects."""
    owner = world.users["owner"]
    workspace = ws.create_workspace(owner, "Большое агентство", slug="big")
    expert = world.users["expert"]
    made = []

    def grow(to: int):
        while len(made) < to:
            # The first few follow a playbook (areas, matrix, stages, tasks); the rest are bare.
            made.append(
                _add_project(owner, workspace, len(made), full=len(made) < 3, expert=expert)
            )
        return made

    return owner, workspace, grow


def _count(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def _counts(client, grow, url: str, **extra) -> list[int]:
    counts = []
    for size in SIZES:
        grow(size)
        client.get(url, **extra)  # warm caches that are not per request
        counts.append(_count(client, url, **extra))
    return counts


def test_the_projects_api_costs_the_same_for_5_and_50_projects(agency, world, client):
    _owner, _workspace, grow = agency
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['owner']}"}
    five, fifty = _counts(client, grow, "/api/v1/projects", **auth)
    assert five == fifty <= 8, (five, fifty)  # the team summaries are one read of stored rows
    listed = {p["slug"]: p for p in client.get("/api/v1/projects", **auth).json()}
    assert len(listed) == 52  # the 50 and the owner's two in the shared world
    one = client.get("/api/v1/projects/client-0", **auth).json()
    assert listed["client-0"] == one  # the list and the single read agree
    assert one["playbook"] == "real_estate" and one["networks"] == ["telegram", "vk"]
    assert listed["client-9"]["playbook"] is None


def test_the_agency_view_costs_the_same_for_5_and_50_projects(agency, client):
    owner, workspace, grow = agency
    client.force_login(owner)
    url = reverse("analytics:agency", args=[workspace.slug])
    five, fifty = _counts(client, grow, url)
    assert five == fifty <= 13, (five, fifty)  # health and load read as stored summaries
    rows = client.get(url).context["rows"]
    assert len(rows) == 50
    # What was read for all projects at once is what each project's own read finds.
    for row in rows[:5]:
        expected = [f.code for f in health.evaluate(row.project) if f.severity == health.CRITICAL]
        assert [f.code for f in row.critical] == expected
        load = workload.project_load(row.project, weeks=4)
        peaks = [m.peak_percent for m in load.members if not m.is_expert_only]
        assert row.load_peak == max((p for p in peaks if p is not None), default=None)
        assert row.goals == [("on_track", str(GoalState.ON_TRACK.label), 1)]
        assert row.current["reach"] == 100


def test_health_read_for_many_projects_matches_each_projects_own(agency):
    _owner, _workspace, grow = agency
    projects = grow(6)
    alone = {p.pk: [f.as_dict() for f in health.evaluate(p)] for p in projects}
    loads = {p.pk: workload.project_load(p, weeks=6).total_hours for p in projects}
    with workload.shared_reads_many(projects, weeks=6):
        together = {p.pk: [f.as_dict() for f in health.evaluate(p)] for p in projects}
        assert {p.pk: workload.project_load(p, weeks=6).total_hours for p in projects} == loads
    assert together == alone
    assert any(any(f["code"] == "H8" or f["code"] == "H4" for f in fs) for fs in alone.values())


def test_the_project_menu_costs_the_same_for_5_and_50_projects(agency, client):
    """The side menu lists every project; the workspace page lists them too."""
    owner, workspace, grow = agency
    client.force_login(owner)
    five, fifty = _counts(client, grow, reverse("projects:workspace", args=[workspace.slug]))
    assert five == fifty <= 10, (five, fifty)
    assert (
        "client-49"
        in client.get(reverse("projects:workspace", args=[workspace.slug])).content.decode()
    )


def test_a_project_page_with_the_menu_costs_the_same_for_5_and_50_projects(agency, client):
    owner, _workspace, grow = agency
    client.force_login(owner)
    grow(1)
    five, fifty = _counts(client, grow, reverse("analytics:reports", args=["client-0"]))
    assert five == fifty <= 52, (five, fifty)  # the report itself; the project switcher adds none
