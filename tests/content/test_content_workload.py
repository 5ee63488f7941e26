"""Real content items in the weekly load: they replace the cadence estimate and add step hours."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.team.test_workload import hours_of, join, later, start
from zveno.content import services
from zveno.content import workload as content_workload
from zveno.content.models import Step, StepKind
from zveno.team import health, workload
from zveno.team.health_settings import settings_for
from zveno.workspaces.roles import JobRole as R

pytestmark = pytest.mark.django_db

# real_estate effort norms, hours per unit (playbooks/data/real_estate.yaml)
# carousel: copywriter 1.0, designer 1.5, smm 0.25, expert 0.25
# telegram at the medium cadence: 4 posts + 1 carousel a week
CADENCE = {"copywriter": 4 * 1.0 + 1.0, "designer": 4 * 0.5 + 1.5, "smm": 4 * 0.25 + 0.25}


def team(world):
    project = start(world)
    people = {
        "copywriter": join(world, project, "kopi", [R.COPYWRITER]),
        "designer": join(world, project, "dizi", [R.DESIGNER]),
        "smm": join(world, project, "esemem", [R.SMM]),
        "expert": join(world, project, "ekspert", [R.EXPERT]),
    }
    return project, people


def add_item(world, project, when: dt.date, fmt="carousel", people=None, **fields):
    """An item planned at 15:00 (project time) on ``when``, on every channel, steps assigned."""
    item = services.create_item(
        world.users["owner"], project, title="Как выбрать квартиру", format=fmt,
        planned_at=dt.datetime.combine(when, dt.time(15, 0)),
        channel_ids=list(project.channels.values_list("pk", flat=True)), **fields,
    )  # fmt: skip
    if people is not None:
        kinds = {
            StepKind.COPY: "copywriter",
            StepKind.DESIGN: "designer",
            StepKind.REVIEW: "smm",
            StepKind.EXPERT_APPROVAL: "expert",
        }
        for kind, who in kinds.items():
            Step.objects.filter(item=item, kind=kind).update(assignee=people[who])
    return item


def week_hours(load, membership, week):
    return load.member(membership.pk).hours[load.weeks.index(week)]


def test_the_content_app_is_registered():
    assert content_workload.content_demand in workload.DEMAND_SOURCES
    assert content_workload.plan_coverage in workload.PLAN_COVERAGE


def test_without_items_the_load_is_the_cadence_estimate(world):
    project, people = team(world)
    weeks = later(project, 2)
    load = workload.project_load(project, weeks=2, start=weeks[0])
    for role, member in people.items():
        if role == "expert":
            continue
        assert load.member(member.pk).hours == [CADENCE[role]] * 2
    assert list(content_workload.content_demand(project, weeks)) == []
    assert set(content_workload.plan_coverage(project, weeks)) == set()


def test_items_replace_the_weeks_cadence_and_add_their_step_hours(world):
    project, people = team(world)
    weeks = later(project, 2)
    wednesday = weeks[0] + dt.timedelta(days=2)
    item = add_item(world, project, wednesday, people=people)
    add_item(world, project, wednesday + dt.timedelta(days=1), people=people)
    channel = project.channels.get()
    assert set(content_workload.plan_coverage(project, weeks)) == {(channel.pk, weeks[0])}

    load = workload.project_load(project, weeks=2, start=weeks[0])
    # week 1: two carousels instead of the cadence; week 2: the cadence as before
    assert week_hours(load, people["copywriter"], weeks[0]) == 2 * 1.0
    assert week_hours(load, people["designer"], weeks[0]) == 2 * 1.5
    assert week_hours(load, people["smm"], weeks[0]) == 2 * 0.25
    assert week_hours(load, people["expert"], weeks[0]) == 2 * 0.25
    for role in ("copywriter", "designer", "smm"):
        assert week_hours(load, people[role], weeks[1]) == CADENCE[role]
    sources = {d.source for d in load.demands if d.membership_id == people["copywriter"].pk}
    assert f"content:{item.pk}/copy" in sources
    assert "cadence:telegram/post" in sources  # week 2 only
    assert not [d for d in load.demands if d.week == weeks[0] and d.source.startswith("cadence:")]


def test_done_steps_count_no_more(world):
    project, people = team(world)
    weeks = later(project, 1)
    item = add_item(world, project, weeks[0] + dt.timedelta(days=2), people=people)
    Step.objects.filter(item=item, kind=StepKind.COPY).update(done_at=dt.datetime.now(dt.UTC))
    demands = list(content_workload.content_demand(project, weeks))
    assert hours_of(demands, people["copywriter"]) == 0
    assert hours_of(demands, people["designer"]) == 1.5


def test_unassigned_steps_fall_back_like_the_cadence(world):
    project = start(world)  # the owner is the producer; nobody else
    weeks = later(project, 1)
    add_item(world, project, weeks[0] + dt.timedelta(days=2))
    Step.objects.filter(item__project=project).update(assignee=None)
    load = workload.project_load(project, weeks=1, start=weeks[0])
    owner = project.memberships.get(user=world.users["owner"])
    # copy 1.0 + design 1.5 + review 0.25 fall to the producer; the expert's 0.25 is missing
    assert load.member(owner.pk).hours == [2.75]
    assert load.missing_expert_hours == [0.25]
    assert {gap.role: gap.hours for gap in load.uncovered} == {
        "copywriter": [1.0],
        "designer": [1.5],
        "smm": [0.25],
    }


def test_a_cancelled_item_adds_nothing(world):
    project, people = team(world)
    weeks = later(project, 1)
    item = add_item(world, project, weeks[0] + dt.timedelta(days=2), people=people)
    services.cancel(world.users["owner"], item)
    assert list(content_workload.content_demand(project, weeks)) == []
    assert set(content_workload.plan_coverage(project, weeks)) == set()
    load = workload.project_load(project, weeks=1, start=weeks[0])
    assert week_hours(load, people["copywriter"], weeks[0]) == CADENCE["copywriter"]


def test_items_outside_the_weeks_are_not_read(world):
    project, people = team(world)
    weeks = later(project, 1)
    add_item(world, project, weeks[0] + dt.timedelta(days=9), people=people)
    assert list(content_workload.content_demand(project, weeks)) == []
    assert set(content_workload.plan_coverage(project, weeks)) == set()


def test_h6_reacts_to_a_heavy_real_plan(world):
    project, people = team(world)
    horizon = settings_for(project.workspace_id).horizon_weeks
    this_week = workload.monday(workload.facts(project).today)
    weeks = workload.week_list(this_week, horizon)

    def h6_for_copywriter():
        return [
            f
            for f in health.evaluate(project)
            if f.code == "H6" and f.evidence["person"] == people["copywriter"].user.display_name
        ]

    assert h6_for_copywriter() == []
    # 12 lead magnets a week at 6.0 copywriter hours = 72 h against 20 h of capacity
    for week in weeks[1:]:
        for _ in range(12):
            add_item(world, project, week + dt.timedelta(days=2), fmt="lead_magnet", people=people)
    [h6] = h6_for_copywriter()
    assert h6.evidence["overloaded_weeks"] >= settings_for(project.workspace_id).overload_weeks


def test_the_plan_adds_one_query_to_the_load(world, django_assert_max_num_queries):
    project, people = team(world)
    weeks = later(project, 4)
    for week in weeks:
        add_item(world, project, week + dt.timedelta(days=2), people=people)
    with django_assert_max_num_queries(6):  # the bound of tests/team/test_workload.py
        load = workload.project_load(project, weeks=4, start=weeks[0])
    assert load.member(people["copywriter"].pk).hours == [1.0] * 4
