"""The overview and the report read each goal's stored evaluation; a goal whose figures changed
after it was evaluated (an entry, an import, a collection) or evaluated on an earlier day is
evaluated again on read, that goal only, and what is read is what a live evaluation gives."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.urls import reverse
from django.utils import timezone

from zveno.analytics import goals as g
from zveno.analytics.models import Collection, Goal, Import
from zveno.analytics.services import goals as goal_services
from zveno.analytics.services import metrics

D = dt.date
FIELDS = ("baseline", "current", "target_value", "progress", "forecast")


def same(stored: g.Evaluation, live: g.Evaluation) -> None:
    assert (stored.state, stored.today, stored.window_start, stored.window_end) == (
        live.state,
        live.today,
        live.window_start,
        live.window_end,
    )
    assert stored.days_elapsed == live.days_elapsed
    for name in FIELDS:
        a, b = getattr(stored, name), getattr(live, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-3), (name, a, b)


@pytest.fixture
def goals(world):
    smm = world.users["smm"]
    for day in range(20):
        metrics.upsert_business_day(
            smm, world.alpha, D(2026, 11, 10) + dt.timedelta(days=day), {"dialogues": 2 + day}
        )
    made = [
        goal_services.create_goal(
            smm, world.alpha, name="Диалоги ×2", metric="dialogues", kind="multiple", target=2,
            window_days=14, starts_on=D(2026, 11, 24), activate=True,
        ),
        goal_services.create_goal(
            smm, world.alpha, name="Охват 500", metric="reach", kind="absolute", target=500,
            window_days=30, starts_on=D(2026, 11, 20), activate=True,
        ),
    ]  # fmt: skip
    return made


def _overview(client, world):
    client.force_login(world.users["smm"])
    response = client.get(reverse("analytics:overview", args=["alpha"]))
    assert response.status_code == 200
    return response.context["goals"]


def test_the_overview_reads_the_stored_evaluation_without_evaluating_again(world, client, goals):
    at = {goal.pk: Goal.objects.get(pk=goal.pk).evaluated_at for goal in goals}
    shown = _overview(client, world)
    assert [goal.pk for goal, _ev in shown] == [goal.pk for goal in goals]
    for goal, ev in shown:
        assert Goal.objects.get(pk=goal.pk).evaluated_at == at[goal.pk]  # not evaluated again
        same(ev, g.evaluate(goal))


def test_an_entry_after_the_evaluation_makes_its_projects_goals_evaluated_on_read(
    world, client, goals
):
    dialogues = goals[0]
    before = Goal.objects.get(pk=dialogues.pk)
    metrics.upsert_business_day(world.users["smm"], world.alpha, D(2026, 12, 3), {"dialogues": 90})
    assert g.is_stale(Goal.objects.get(pk=dialogues.pk), D(2026, 12, 4))
    shown = {goal.pk: ev for goal, ev in _overview(client, world)}
    after = Goal.objects.get(pk=dialogues.pk)
    assert after.evaluated_at > before.evaluated_at
    assert after.current_value > before.current_value
    same(shown[dialogues.pk], g.evaluate(after))


@pytest.mark.parametrize("finished", ["import", "collection"])
def test_an_import_or_a_collection_finished_after_the_evaluation_makes_it_stale(
    world, goals, finished
):
    project = world.alpha
    goal = Goal.objects.get(pk=goals[1].pk)
    assert not g.is_stale(goal, D(2026, 12, 4), g.figures_changed_at(project))
    now = timezone.now() + dt.timedelta(seconds=1)
    if finished == "import":
        Import.objects.create(project=project, preset="zveno_posts", status="done", finished_at=now)
    else:
        Collection.objects.create(project=project, channel=project.channels.first(),
                                  started_at=now, finished_at=now, status="ok")  # fmt: skip
    assert g.is_stale(goal, D(2026, 12, 4), g.figures_changed_at(project))
    (_goal, ev), _other = sorted(g.for_project(project), key=lambda pair: pair[0].pk != goal.pk)
    assert Goal.objects.get(pk=goal.pk).evaluated_at > goal.evaluated_at
    same(ev, g.evaluate(goal))


def test_a_day_passing_evaluates_again_on_read(world, client, goals, clock):
    clock.shift(dt.timedelta(days=2))
    for goal, ev in _overview(client, world):
        stored = Goal.objects.get(pk=goal.pk)
        assert stored.evaluated_for == D(2026, 12, 6)
        same(ev, g.evaluate(stored))


def test_a_report_of_an_earlier_period_is_evaluated_on_its_last_day_and_stores_nothing(
    world, goals
):
    at = {goal.pk: Goal.objects.get(pk=goal.pk).evaluated_at for goal in goals}
    for goal, ev in g.for_project(world.alpha, today=D(2026, 11, 30)):
        assert ev.today == D(2026, 11, 30)
        assert Goal.objects.get(pk=goal.pk).evaluated_at == at[goal.pk]
