"""Weekly load from the cadence and the tasks, uncovered roles, and the recommended team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import make_user
from zveno.core.timezones import today_in
from zveno.playbooks import loader
from zveno.playbooks import services as playbook_services
from zveno.projects import services as project_services
from zveno.publishing.models import Channel
from zveno.team import services as team_services
from zveno.team import staffing, workload
from zveno.team.models import TaskStatus
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole as R

pytestmark = pytest.mark.django_db

REAL_ESTATE = loader.get_builtin("real_estate")
INFO_PRODUCT = loader.get_builtin("info_product")
SIX_NETWORKS = ["telegram", "instagram", "vk", "youtube", "dzen", "email"]


def start(world, *, playbook="real_estate", networks=("telegram",), roles=(R.PRODUCER,), **kw):
    """A project of workspace A started today by the owner, with the owner in ``roles``."""
    owner = world.users["owner"]
    return project_services.start_project(
        owner, world.workspace_a, playbook=playbook, networks=list(networks),
        my_roles=list(roles), name=kw.pop("name", "Проект"), start_date=dt.date.today(), **kw,
    )  # fmt: skip


def join(world, project, username, roles, hours=20):
    user = make_user(username, name=username.title())
    return ws.add_member(world.users["owner"], project, user, roles, hours)


def hours_of(demands, membership, role=None) -> float:
    return sum(
        d.hours
        for d in demands
        if d.membership_id == membership.pk and (role is None or d.role == role)
    )


def later(project, weeks=4) -> list[dt.date]:
    """Weeks far after every stage ends: only the cadence is planned there."""
    last = max(s.end_date for s in project.stages.all())
    return workload.week_list(last + dt.timedelta(days=14), weeks)


def per_week(playbook, network, role, factor=1.0) -> float:
    plan = next(p for p in playbook.networks if p.network == network)
    return sum(n * factor * playbook.effort[fmt].get(role, 0) for fmt, n in plan.formats.items())


# --- the cadence ------------------------------------------------------------------------------


def test_copywriter_hours_follow_formats_times_effort_norms(world):
    project = start(world)
    copywriter = join(world, project, "kopi", [R.COPYWRITER])
    weeks = later(project)
    demands = list(workload.cadence_demand(project, weeks))
    # telegram at the medium cadence: 4 posts x 1.0 h + 1 carousel x 1.0 h
    assert per_week(REAL_ESTATE, "telegram", "copywriter") == 5.0
    for week in weeks:
        week_demands = [d for d in demands if d.week == week]
        assert hours_of(week_demands, copywriter) == 5.0
    assert {d.source for d in demands if d.membership_id == copywriter.pk} == {
        "cadence:telegram/post",
        "cadence:telegram/carousel",
    }


def test_the_project_load_matches_the_hand_computed_hours(world):
    project = start(world, roles=[R.SMM])
    smm = project.memberships.get()
    ws.update_member(world.users["owner"], smm, capacity_hours=Decimal(25))
    copywriter = join(world, project, "kopi", [R.COPYWRITER], hours=10)
    first = later(project)[0]
    load = workload.project_load(project, weeks=3, start=first)
    assert load.weeks == [first, first + dt.timedelta(weeks=1), first + dt.timedelta(weeks=2)]
    mine = load.member(copywriter.pk)
    assert mine.hours == [5.0, 5.0, 5.0]
    assert mine.percent == [50, 50, 50]
    # The SMM: own 4 x 0.25 + 1 x 0.25, plus the designer's 4 x 0.5 + 1 x 1.5 nobody holds.
    lead = load.member(smm.pk)
    assert lead.hours == [4.75, 4.75, 4.75]
    assert lead.percent == [19, 19, 19]
    assert lead.fallback_roles == ["designer"]
    assert [(g.role, g.hours, g.taken_by) for g in load.uncovered] == [
        ("designer", [3.5, 3.5, 3.5], "Owner")
    ]
    # No expert: their 4 x 0.25 + 1 x 0.25 is missing input, not anybody's load.
    assert load.missing_expert_hours == [1.25, 1.25, 1.25]
    assert load.total_hours == [9.75, 9.75, 9.75]


def test_the_cadence_level_scales_the_plan(world):
    project = start(world)
    copywriter = join(world, project, "kopi", [R.COPYWRITER])
    weeks = later(project, 1)
    owner = world.users["owner"]
    for cadence, expected in (("low", 2.5), ("high", 7.5), ("medium", 5.0)):
        playbook_services.set_cadence(owner, project, cadence)
        assert hours_of(workload.cadence_demand(project, weeks), copywriter) == expected


def test_role_hours_split_equally_between_holders_and_the_expert_gets_expert_hours(world):
    project = start(world)
    first = join(world, project, "kopi1", [R.COPYWRITER])
    second = join(world, project, "kopi2", [R.COPYWRITER])
    expert = join(world, project, "eksp", [R.EXPERT], hours=3)
    demands = list(workload.cadence_demand(project, later(project, 1)))
    assert hours_of(demands, first) == hours_of(demands, second) == 2.5
    assert hours_of(demands, expert) == 1.25  # 4 x 0.25 + 1 x 0.25
    assert not [d for d in demands if d.role == "expert" and d.membership_id is None]


def test_a_role_nobody_holds_falls_to_the_producer_when_there_is_no_smm(world):
    project = start(world, roles=[R.PRODUCER])
    producer = project.memberships.get()
    demands = list(workload.cadence_demand(project, later(project, 1)))
    designer = [d for d in demands if d.role == "designer"]
    assert {d.membership_id for d in designer} == {producer.pk}
    assert all(d.fallback for d in designer)
    assert sum(d.hours for d in designer) == 3.5


def test_a_channels_own_cadence_replaces_the_playbooks_formats(world):
    project = start(world, networks=["telegram", "dzen"])
    copywriter = join(world, project, "kopi", [R.COPYWRITER])
    weeks = later(project, 1)
    load = workload.project_load(project, weeks=1, start=weeks[0])
    # Real estate plans nothing for Dzen: no work, but it is reported.
    assert load.unplanned_networks == ["dzen"]
    assert load.member(copywriter.pk).hours == [5.0]
    # The channel's own cadence is units a week, not scaled by the project's cadence level.
    Channel.objects.filter(project=project, network="telegram").update(cadence={"post": 2})
    Channel.objects.filter(project=project, network="dzen").update(cadence={"post": 1})
    playbook_services.set_cadence(world.users["owner"], project, "high")
    load = workload.project_load(project, weeks=1, start=weeks[0])
    assert load.member(copywriter.pk).hours == [3.0]  # (2 + 1) posts x 1.0 h
    assert load.unplanned_networks == []


def test_inactive_channels_and_weeks_before_the_start_carry_no_cadence(world):
    project = start(world)
    copywriter = join(world, project, "kopi", [R.COPYWRITER])
    before = workload.week_list(project.start_date - dt.timedelta(weeks=3), 2)
    assert hours_of(workload.cadence_demand(project, before), copywriter) == 0
    Channel.objects.filter(project=project).update(is_active=False)
    assert hours_of(workload.cadence_demand(project, later(project, 1)), copywriter) == 0


def test_the_content_plan_seam_replaces_cadence_for_covered_weeks(world, monkeypatch):
    project = start(world)
    copywriter = join(world, project, "kopi", [R.COPYWRITER])
    weeks = later(project, 2)
    channel = project.channels.get()

    def covered(p, wanted):
        return {(channel.pk, wanted[0])}

    monkeypatch.setattr(workload, "PLAN_COVERAGE", [covered])
    demands = list(workload.cadence_demand(project, weeks))
    assert hours_of([d for d in demands if d.week == weeks[0]], copywriter) == 0
    assert hours_of([d for d in demands if d.week == weeks[1]], copywriter) == 5.0


# --- tasks ------------------------------------------------------------------------------------


@pytest.mark.dated
def test_open_tasks_spread_over_their_weeks_and_overdue_ones_count_now(world):
    owner = world.users["owner"]
    project = ws.create_project(owner, world.workspace_a, name="Без плейбука", my_roles=[R.SMM])
    member = join(world, project, "kopi", [R.COPYWRITER])
    today = today_in(project.timezone)
    this_week = workload.monday(today)
    weeks = workload.week_list(today, 4)

    def task(**fields):
        return team_services.create_task(owner, project, title="Задача", assignee=member, **fields)

    task(estimate_hours=Decimal(6), due_date=this_week + dt.timedelta(days=15))  # 3 weeks
    task(estimate_hours=Decimal(5), due_date=today - dt.timedelta(days=3))  # overdue
    task(estimate_hours=Decimal(9), due_date=today, status=TaskStatus.DONE)  # done
    stage = team_services.create_stage(
        owner, project, name="Позже",
        start_date=this_week + dt.timedelta(days=14), end_date=this_week + dt.timedelta(days=20),
    )  # fmt: skip
    task(estimate_hours=Decimal(4), stage=stage, due_date=stage.end_date)  # only its week
    load = workload.project_load(project, weeks=4)
    assert load.weeks == weeks
    assert load.member(member.pk).hours == [2 + 5, 2, 2 + 4, 0]
    assert all(d.source.startswith("task:") and d.role == "" for d in load.demands)


@pytest.mark.dated
def test_unassigned_tasks_are_reported_not_lost(world):
    owner = world.users["owner"]
    project = ws.create_project(owner, world.workspace_a, name="Без плейбука", my_roles=[R.SMM])
    today = today_in(project.timezone)
    team_services.create_task(
        owner, project, title="Ничья", estimate_hours=Decimal(3), due_date=today
    )
    load = workload.project_load(project, weeks=2)
    assert load.unassigned_task_hours == [3.0, 0.0]
    assert load.member(project.memberships.get().pk).hours == [0.0, 0.0]


# --- overload ---------------------------------------------------------------------------------


def test_overloaded_weeks_use_the_workspace_threshold(world):
    from zveno.team import health_settings

    project = start(world, roles=[R.SMM])
    smm = project.memberships.get()
    ws.update_member(world.users["owner"], smm, capacity_hours=Decimal(4))
    first = later(project)[0]
    load = workload.project_load(project, weeks=2, start=first)
    # 9.75 h of telegram work (own, designer's and copywriter's) on a 4-hour week: 244 %.
    assert load.member(smm.pk).percent == [244, 244]
    assert load.member(smm.pk).overloaded_weeks == 2
    assert all(cell.over and cell.level == "crit" for cell in load.member(smm.pk).cells)
    health_settings.save_settings(world.users["owner"], world.workspace_a, overload_percent=250)
    load = workload.project_load(project, weeks=2, start=first)
    assert load.member(smm.pk).overloaded_weeks == 0


# --- the recommendation -----------------------------------------------------------------------


def test_a_solo_launch_on_six_networks_needs_a_team_of_three_to_five(world):
    project = start(world, playbook="info_product", networks=SIX_NETWORKS, roles=list(R.values))
    advice = staffing.recommendation(project)
    assert advice.networks == ["telegram", "vk", "instagram", "dzen", "youtube", "email"]
    assert 3 <= advice.headcount <= 5
    assert advice.headcount == INFO_PRODUCT.team_for(6, "medium").headcount
    assert advice.note == INFO_PRODUCT.team_for(6, "medium").note.ru
    expected = {
        role: sum(per_week(INFO_PRODUCT, n, role) for n in SIX_NETWORKS)
        for role in ("copywriter", "reels_maker", "smm")
    }
    rows = {row.role: row for row in advice.rows}
    assert rows["copywriter"].hours == expected["copywriter"] == 35.5
    assert rows["reels_maker"].hours == expected["reels_maker"] == 21.0
    assert rows["smm"].hours == expected["smm"] == 8.75
    assert rows["copywriter"].people_needed == 1
    assert "expert" not in rows  # the client is not staff
    assert advice.hours_total == 93.75
    assert advice.people_by_hours == 3  # ceil(93.75 / 40)
    assert advice.team_size == 1
    # One person fills one place; the other four have nobody of their own.
    assert advice.missing_roles == ["producer", "copywriter", "stories_maker", "reels_maker"]


def test_people_needed_is_hours_over_a_full_time_week(world):
    assert staffing.people_for(0) == 0
    assert staffing.people_for(0.5) == 1
    assert staffing.people_for(40) == 1
    assert staffing.people_for(40.25) == 2


def test_a_full_team_leaves_no_gap(world):
    project = start(world, playbook="info_product", networks=SIX_NETWORKS)  # owner: producer
    for role in (R.SMM, R.COPYWRITER, R.STORIES_MAKER, R.REELS_MAKER):
        join(world, project, f"full-{role}", [role], hours=40)
    advice = staffing.recommendation(project)
    assert advice.team_size == 5 and advice.missing_roles == []
    assert all(row.gap == 0 for row in advice.rows)
    assert {row.role: row.actual for row in advice.rows}["copywriter"] == 1


# --- queries ----------------------------------------------------------------------------------


def test_project_load_reads_a_handful_of_queries_for_ten_members(
    world, django_assert_max_num_queries
):
    project = start(world, networks=["telegram", "instagram"])
    roles = [R.COPYWRITER, R.DESIGNER, R.STORIES_MAKER, R.REELS_MAKER, R.SMM]
    for i in range(9):
        join(world, project, f"person{i}", [roles[i % len(roles)]])
    assert project.memberships.count() == 10
    with django_assert_max_num_queries(6):
        load = workload.project_load(project, weeks=12)
    assert len(load.members) == 10
    with django_assert_max_num_queries(4):
        staffing.recommendation(project)


def test_a_paused_project_publishes_nothing(world):
    project = start(world)
    copywriter = join(world, project, "kopi", [R.COPYWRITER])
    ws.update_project(world.users["owner"], project, status="paused")
    project.refresh_from_db()
    assert hours_of(workload.cadence_demand(project, later(project, 1)), copywriter) == 0
    assert staffing.recommendation(project).rows  # the team it would need is still shown
