"""The agency view: every project of a workspace the user may see, in one table."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zveno.analytics import services
from zveno.analytics.models import Goal, GoalState, GoalStatus
from zveno.core.timezones import today_in
from zveno.team import health
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def url(workspace):
    return reverse("analytics:agency", args=[workspace.slug])


def goal(project, state, status=GoalStatus.ACTIVE):
    return Goal.objects.create(
        project=project, name=f"{state}", metric="reach", kind="absolute", target=500,
        window_days=14, status=status, state=state,
    )  # fmt: skip


def post_on(project, key, day, counters):
    when = dt.datetime.combine(day, dt.time(12), tzinfo=MSK)
    services.create_post(
        project, external_id=key, published_at=when, counters=counters,
        captured_at=when + dt.timedelta(hours=30),
    )  # fmt: skip


@pytest.fixture
def figures(world):
    today = today_in(world.alpha.timezone)
    post_on(world.alpha, "now1", today - dt.timedelta(days=2), {"reach": 3000, "likes": 90})
    post_on(world.alpha, "now2", today - dt.timedelta(days=29), {"reach": 1000, "likes": 30})
    post_on(world.alpha, "before", today - dt.timedelta(days=30), {"reach": 2000, "likes": 20})
    post_on(world.alpha, "old", today - dt.timedelta(days=61), {"reach": 99_999, "likes": 1})
    for state in (GoalState.REACHED, GoalState.AT_RISK, GoalState.AT_RISK):
        goal(world.alpha, state)
    goal(world.alpha, GoalState.MISSED, status=GoalStatus.DRAFT)  # drafts do not count
    return world


def rows_by_slug(response):
    return {row.project.slug: row for row in response.context["rows"]}


@pytest.mark.dated
def test_owner_sees_every_project_with_goals_health_load_and_figures(figures, client):
    client.force_login(figures.users["owner"])
    response = client.get(url(figures.workspace_a))
    assert response.status_code == 200
    rows = rows_by_slug(response)
    assert set(rows) == {"alpha", "alpha-two"}
    alpha = rows["alpha"]
    assert [(state, n) for state, _label, n in alpha.goals] == [("reached", 1), ("at_risk", 2)]
    assert rows["alpha-two"].goals == []
    # Last 30 days: 3000 + 1000 reach, 120 likes; the 30 before: 2000 reach, 20 likes.
    assert (alpha.current["posts"], alpha.current["reach"]) == (2, 4000)
    assert alpha.current["err"] == pytest.approx(3.0)
    assert (alpha.previous["reach"], alpha.previous["err"]) == (2000, pytest.approx(1.0))
    assert alpha.reach_change == pytest.approx(100.0)
    assert alpha.err_change == pytest.approx(2.0)
    expected = [f.code for f in health.evaluate(figures.alpha) if f.severity == "critical"]
    assert [f.code for f in alpha.critical] == expected
    assert alpha.shows_load and alpha.load_peak is not None
    body = response.content.decode()
    assert re.search(r"4\s?000</|>4\s?000\b|4\s?000\s", body)  # the reach, grouped by locale
    assert reverse("analytics:overview", args=["alpha-two"]) in body


def test_a_member_sees_only_their_projects(figures, client):
    client.force_login(figures.users["smm"])
    rows = rows_by_slug(client.get(url(figures.workspace_a)))
    assert set(rows) == {"alpha"}


def test_strangers_and_anonymous_are_kept_out(figures, client):
    for persona in ("outsider", "expert", "other_expert"):
        client.force_login(figures.users[persona])
        assert client.get(url(figures.workspace_a)).status_code == 404, persona
    client.logout()
    response = client.get(url(figures.workspace_a))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_workspace_page_links_here(figures, client):
    client.force_login(figures.users["owner"])
    page = client.get(reverse("projects:workspace", args=[figures.workspace_a.slug]))
    assert url(figures.workspace_a) in page.content.decode()


def _agency_queries(client, workspace) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(workspace)).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_bounded_per_project(world, client, django_assert_max_num_queries):
    owner = world.users["owner"]
    workspace = ws.create_workspace(owner, "Агентство В", slug="ws-c")

    def add_project(n):
        project = ws.create_project(
            owner, workspace, name=f"Проект {n}", slug=f"p-{n}", start_date=dt.date(2026, 11, 2),
            my_roles=[JobRole.SMM],
        )  # fmt: skip
        goal(project, GoalState.ON_TRACK)
        post_on(project, f"x{n}", today_in(project.timezone) - dt.timedelta(days=1), {"reach": 5})
        return project

    add_project(1)
    client.force_login(owner)
    one = _agency_queries(client, workspace)
    for n in range(2, 6):
        add_project(n)
    five = _agency_queries(client, workspace)
    per_project = (five - one) / 4
    # Goals and figures are read for all projects at once; what grows is the team's health and
    # load, a fixed handful per project.
    assert per_project <= 16, (one, five)
    with django_assert_max_num_queries(one + 4 * 16):
        client.get(url(workspace))
    assert len(client.get(url(workspace)).context["rows"]) == 5


@pytest.mark.dated
def test_each_project_counts_its_own_days_in_its_own_time_zone(figures, client):
    """Projects of different time zones share the query, not the window: a post at half past
    midnight of Vladivostok's first day of the 30 is in that project's current window (in
    Moscow it would still be the day before, in the previous one)."""
    vladivostok = zoneinfo.ZoneInfo("Asia/Vladivostok")
    two = figures.alpha2
    type(two).objects.filter(pk=two.pk).update(timezone="Asia/Vladivostok")
    two.refresh_from_db()
    first_day = today_in(two.timezone) - dt.timedelta(days=29)
    when = dt.datetime.combine(first_day, dt.time(0, 30), tzinfo=vladivostok)
    services.create_post(
        two, external_id="edge", published_at=when, counters={"reach": 700, "likes": 7},
        captured_at=when + dt.timedelta(hours=30),
    )  # fmt: skip
    client.force_login(figures.users["owner"])
    rows = rows_by_slug(client.get(url(figures.workspace_a)))
    assert (rows["alpha-two"].current["reach"], rows["alpha-two"].previous["posts"]) == (700, 0)
    assert (rows["alpha"].current["reach"], rows["alpha"].previous["reach"]) == (4000, 2000)


def test_links_and_labels_are_those_of_the_project(figures, client):
    """Each row links to its project's pages and names its niche and, when not active, status."""
    two = figures.alpha2
    type(two).objects.filter(pk=two.pk).update(status="paused")
    goal(two, GoalState.ON_TRACK)
    client.force_login(figures.users["owner"])
    body = client.get(url(figures.workspace_a)).content.decode()
    for slug in ("alpha", "alpha-two"):
        assert f'href="{reverse("analytics:overview", args=[slug])}"' in body
        assert f'href="{reverse("analytics:goals", args=[slug])}"' in body
    assert 'class="badge status-paused">На паузе</span>' in body
    assert "Недвижимость" in body  # alpha's niche
