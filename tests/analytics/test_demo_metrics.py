"""The demo's metric histories tell the seed's results through its goals (issue 5 §8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests import clock
from zveno.analytics import goals as g
from zveno.analytics.models import BusinessDay, ChannelDay, Goal, GoalEvent, Post
from zveno.content.models import Publication
from zveno.demo import seed
from zveno.notifications.models import Notification
from zveno.workspaces.models import ProjectMembership


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    # The demo is dated from its "today": load it at the tests' pinned instant.
    with django_db_blocker.unblock(), clock.pinned():
        seed.load()
        yield
        # as a transactional test case does: empty tables again (post_migrate rows recreated)
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)


def _goal(slug, metric) -> Goal:
    return Goal.objects.select_related("project").get(
        project__slug=slug, metric=metric, status="active"
    )


def _sum(model, slug, field, start, end):
    total = model.objects.filter(project__slug=slug, date__gte=start, date__lte=end).aggregate(
        total=Sum(field)
    )["total"]
    return total


@pytest.mark.django_db
def test_the_launch_reaches_reach_x5_against_the_previous_14_days(loaded):
    goal = _goal("course-launch", "reach")
    assert goal.kind == "multiple" and goal.target == 5 and goal.window_days == 14
    start = goal.starts_on
    end = start + dt.timedelta(days=13)
    before = (start - dt.timedelta(days=14), start - dt.timedelta(days=1))
    # independently: the channels' daily reach, every day of both windows has rows
    baseline = _sum(ChannelDay, "course-launch", "reach", *before)
    current = _sum(ChannelDay, "course-launch", "reach", start, end)
    days = ChannelDay.objects.filter(project__slug="course-launch", date__gte=before[0],
                                     date__lte=end).values("date").distinct().count()  # fmt: skip
    assert days == 28
    assert current >= 5 * baseline
    ev = g.evaluate(goal)
    assert (ev.window_start, ev.window_end) == (start, end)
    assert (ev.baseline_start, ev.baseline_end) == before
    assert ev.baseline == baseline
    assert ev.current == current
    assert ev.target_value == 5 * baseline
    assert ev.progress == pytest.approx((current - baseline) / (4 * baseline))
    assert ev.state == "reached"
    assert goal.state == "reached" and goal.reached_at is not None
    assert goal.current_value == Decimal(current)
    assert GoalEvent.objects.filter(goal=goal, verb="reached").count() == 1
    notified = set(
        Notification.objects.filter(key=f"goal:{goal.pk}", verb="goal_reached").values_list(
            "user__username", flat=True
        )
    )
    assert {"demo", "dmitry", "viktoria"} <= notified  # SMM and owner, producer, expert
    assert "elena" not in notified  # the copywriter is not told


@pytest.mark.django_db
def test_the_launch_goals_and_the_6_5_million(loaded):
    for metric, factor in [("dialogues", 3), ("lead_magnet_downloads", 2),
                           ("email_subscribers", 2)]:  # fmt: skip
        goal = _goal("course-launch", metric)
        start = goal.starts_on
        baseline = _sum(BusinessDay, "course-launch", metric, start - dt.timedelta(days=14),
                        start - dt.timedelta(days=1))  # fmt: skip
        current = _sum(BusinessDay, "course-launch", metric, start, start + dt.timedelta(days=13))
        assert current >= factor * baseline > 0, metric
        assert goal.state == "reached", metric
    revenue = _goal("course-launch", "revenue")
    assert revenue.kind == "absolute" and revenue.window_days == 14
    money = _sum(BusinessDay, "course-launch", "revenue", revenue.starts_on,
                 revenue.starts_on + dt.timedelta(days=13))  # fmt: skip
    assert money >= 6_500_000
    assert revenue.state == "reached"


@pytest.mark.django_db
def test_the_other_cases(loaded):
    visits = _goal("sofa-shop", "site_visits")
    ev = g.evaluate(visits)
    base = _sum(BusinessDay, "sofa-shop", "site_visits", ev.baseline_start, ev.baseline_end)
    now = _sum(BusinessDay, "sofa-shop", "site_visits", ev.window_start, ev.window_end)
    assert (now - base) / base * 100 == pytest.approx(281, abs=0.2)
    assert visits.state == "reached"
    spend = _sum(BusinessDay, "sofa-shop", "ad_spend", ev.window_start, ev.window_end)
    assert not spend  # no ad budget
    post_goal = _goal("realtor-kazan", "post_reach")
    assert post_goal.state == "reached" and g.evaluate(post_goal).current > 500
    for metric in ("reach", "er_reach"):
        grown = g.evaluate(_goal("realtor-kazan", metric))
        assert grown.change >= 2, metric  # several-fold
        flat = g.evaluate(_goal("realtor-msk", metric))
        assert 0.6 < flat.change < 1.1, metric
        assert flat.state == "at_risk", metric
    solo = _goal("course-launch-solo", "reach")
    assert solo.state == "at_risk"


@pytest.mark.django_db
def test_published_publications_have_posts_with_snapshots(loaded):
    published = Publication.objects.filter(
        item__project__workspace__slug="demo", published_at__isnull=False
    )
    assert published.exists()
    linked = Post.objects.filter(publication__in=published)
    assert linked.count() == published.count()
    for post in Post.objects.filter(project__workspace__slug="demo").order_by("?")[:40]:
        newest = post.snapshots.order_by("-captured_at").first()
        assert newest is not None
        assert newest.reach == post.latest_reach and newest.likes == post.latest_likes
        assert newest.captured_at == post.last_captured_at


@pytest.mark.django_db
def test_the_histories_are_deterministic(loaded):
    from zveno.demo import analytics as analytics_demo

    launch = ChannelDay.objects.filter(project__slug="course-launch")
    rows = list(launch.order_by("channel__network", "date").values_list("reach", flat=True))
    import random

    case = analytics_demo._cases()["course-launch"]
    offsets = list(range(-case.history, 0))
    first = analytics_demo._counts(random.Random(1), case.reach, offsets, 0.1, 5.4, (-14, 14))
    again = analytics_demo._counts(random.Random(1), case.reach, offsets, 0.1, 5.4, (-14, 14))
    assert first == again
    assert sum(first[-14:]) >= 5.4 * sum(first[-28:-14])
    assert rows  # the demo wrote them


@pytest.mark.django_db
def test_the_api_reports_the_launch_goal(loaded, client):
    from django.contrib.auth import get_user_model

    from zveno.accounts.services import create_api_token

    _token, raw = create_api_token(get_user_model().objects.get(username="viktoria"), "check")
    response = client.get("/api/v1/projects/course-launch/goals",
                          headers={"Authorization": f"Bearer {raw}"})  # fmt: skip
    assert response.status_code == 200
    row = next(r for r in response.json() if r["metric"] == "reach" and r["status"] == "active")
    start = dt.date.fromisoformat(row["window_start"])
    baseline = _sum(ChannelDay, "course-launch", "reach", start - dt.timedelta(days=14),
                    start - dt.timedelta(days=1))  # fmt: skip
    current = _sum(ChannelDay, "course-launch", "reach", start, start + dt.timedelta(days=13))
    assert (row["kind"], row["target"], row["window_days"]) == ("multiple", 5, 14)
    assert row["baseline"] == baseline and row["current"] == current
    assert row["target_value"] == 5 * baseline
    assert row["state"] == "reached" and row["reached_at"]
    assert row["progress"] >= 1


@pytest.mark.django_db
def test_the_demo_has_a_designer_who_lands_on_my_work(loaded, client):
    from django.contrib.auth import get_user_model

    designer = get_user_model().objects.get(username="polina")
    member = ProjectMembership.objects.get(user=designer, project__slug="course-launch")
    assert member.roles == ["designer"] and designer.has_usable_password()
    assert "дизайнер" in seed.ROLE_NOTES["polina"]
    client.force_login(designer)
    assert client.get("/")["Location"] == "/p/course-launch/my-work/"
