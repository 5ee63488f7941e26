"""Stored team summaries: after every kind of change the stored health and load are what the live
computation gives, recomputed after the commit, or on read when a summary is stale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from zveno.core.celery import app
from zveno.team import health, summary, workload
from zveno.team import services as team_services
from zveno.team.health_settings import save_settings
from zveno.team.models import TaskStatus, TeamSummary
from zveno.team.tasks import refresh_changed_summaries
from zveno.workspaces import services as ws
from zveno.workspaces.models import ProjectMembership


def live(project) -> dict:
    """What the rules and the load say now, as a summary keeps it."""
    with translation.override("ru"):
        findings = health.evaluate(project)
    load = workload.project_load(project, weeks=summary.LOAD_WEEKS)
    peaks = [m.peak_percent for m in load.members if not m.is_expert_only]
    severities = [f.severity for f in findings]
    return {
        "critical": [(f.code, f.title) for f in findings if f.severity == health.CRITICAL],
        "warnings": severities.count(health.WARNING),
        "infos": severities.count(health.INFO),
        "load_peak": max((p for p in peaks if p is not None), default=None),
        "overloaded": len(load.overloaded),
    }


def stored(project) -> dict:
    row = TeamSummary.objects.get(project=project)
    assert not summary.is_stale(row, project)
    with translation.override("ru"):
        critical = [(f.code, f.title) for f in summary.critical_of(row)]
    assert row.critical == len(critical)
    return {
        "critical": critical,
        "warnings": row.warnings,
        "infos": row.infos,
        "load_peak": row.load_peak,
        "overloaded": row.overloaded,
    }


@pytest.fixture
def alpha(world):
    project = world.alpha
    summary.for_projects([project])  # a first summary, as a list would make it
    return project


@pytest.fixture
def worker_in_place():
    """The job a commit queues runs at once, as the worker would run it a moment later."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_each_kind_of_change_is_stored_as_the_live_computation_gives(
    world, alpha, django_capture_on_commit_callbacks, worker_in_place
):
    owner = world.users["owner"]
    copywriter = world.copywriter_membership
    before = stored(alpha)
    assert before == live(alpha)

    def after(change):
        with django_capture_on_commit_callbacks(execute=True):
            result = change()
        assert stored(alpha) == live(alpha)
        return result

    today = dt.date(2026, 12, 4)
    big = after(
        lambda: team_services.create_task(
            owner,
            alpha,
            title="Большой лонгрид",
            assignee=copywriter,
            estimate_hours=Decimal(90),
            due_date=today + dt.timedelta(days=6),
        )
    )
    added = stored(alpha)
    assert added["load_peak"] > before["load_peak"] and added["overloaded"] >= 1
    after(lambda: team_services.update_task(owner, big, due_date=today + dt.timedelta(days=27)))
    moved = stored(alpha)
    assert moved["load_peak"] < added["load_peak"]  # the same hours over four weeks
    after(lambda: team_services.update_task(owner, big, status=TaskStatus.DONE))
    assert stored(alpha)["load_peak"] == before["load_peak"]
    member = ProjectMembership.objects.get(pk=copywriter.pk)
    after(lambda: ws.update_member(owner, member, capacity_hours=2))
    squeezed = stored(alpha)
    assert squeezed["load_peak"] > before["load_peak"]
    after(lambda: save_settings(owner, alpha.workspace, overload_percent=300, overload_weeks=4))
    assert stored(alpha) != squeezed  # the same load, other thresholds
    after(lambda: ws.remove_member(owner, member))
    assert stored(alpha) != squeezed


def test_a_day_passing_makes_a_summary_stale_and_the_read_recomputes_it(world, alpha, clock):
    owner = world.users["owner"]
    team_services.create_task(
        owner, alpha, title="Съёмка", assignee=world.copywriter_membership,
        estimate_hours=Decimal(40), due_date=dt.date(2026, 12, 5),
    )  # fmt: skip
    summary.for_projects([alpha])
    first = TeamSummary.objects.get(project=alpha)
    clock.shift(dt.timedelta(days=9))  # the task is overdue now: it counts in this week
    assert summary.is_stale(first, alpha)
    read = summary.for_projects([alpha])[alpha.pk]
    assert read.computed_for == dt.date(2026, 12, 13)
    assert stored(alpha) == live(alpha)


def test_a_change_not_yet_recomputed_is_recomputed_on_read_for_that_project_only(world, alpha):
    """Inside a transaction nothing has been recomputed yet; a read sees the stamp."""
    owner = world.users["owner"]
    other = world.alpha2
    summary.for_projects([alpha, other])
    untouched = TeamSummary.objects.get(project=other).computed_at
    team_services.create_task(
        owner, alpha, title="Ещё одна задача", assignee=world.copywriter_membership,
        estimate_hours=Decimal(60), due_date=dt.date(2026, 12, 10),
    )  # fmt: skip
    row = TeamSummary.objects.get(project=alpha)
    assert summary.is_stale(row, alpha)  # stamped in the change's own transaction
    summary.for_projects([alpha, other])
    assert stored(alpha) == live(alpha)
    assert TeamSummary.objects.get(project=other).computed_at == untouched


def test_a_committed_change_queues_the_recomputation_and_the_worker_does_it_once(
    world, alpha, django_capture_on_commit_callbacks
):
    """The person who changes a task does not wait for the rules: the commit queues the project
    for the worker, which recomputes it unless a read did so first."""
    owner, copywriter = world.users["owner"], world.copywriter_membership
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        team_services.create_task(
            owner, alpha, title="Ночной монтаж", assignee=copywriter,
            estimate_hours=Decimal(80), due_date=dt.date(2026, 12, 9),
        )  # fmt: skip
    assert callbacks  # the commit queued the job (to the queue no worker reads in this test)
    assert summary.is_stale(TeamSummary.objects.get(project=alpha), alpha)
    assert refresh_changed_summaries([alpha.pk]) == 1  # what the worker runs
    assert stored(alpha) == live(alpha)
    assert refresh_changed_summaries([alpha.pk]) == 0  # a second job finds nothing to redo


def test_the_sweep_recomputes_every_project(world):
    assert summary.sweep() >= 3
    for project in (world.alpha, world.alpha2, world.beta):
        assert stored(project) == live(project)


def test_titles_follow_the_language_of_the_reader(world, alpha):
    team_services.create_task(
        world.users["owner"], alpha, title="Аврал", assignee=world.copywriter_membership,
        estimate_hours=Decimal(200), due_date=dt.date(2026, 12, 12),
    )  # fmt: skip
    row = summary.for_projects([alpha])[alpha.pk]
    assert row.critical_findings, "the copywriter is overloaded: a critical finding"
    for language in ("ru", "en"):
        with translation.override(language):
            expected = [f.title for f in health.evaluate(alpha) if f.severity == health.CRITICAL]
            assert [f.title for f in summary.critical_of(row)] == expected


def test_the_projects_api_shows_the_stored_summary_and_the_load_only_to_who_may_see_it(world, api):
    mine = {p["slug"]: p for p in api(world, "owner").get("/api/v1/projects").json()}
    row = TeamSummary.objects.get(project=world.alpha)
    team = mine["alpha"]["team"]
    assert (team["status"], team["critical"], team["load_peak"]) == (
        row.status,
        row.critical,
        row.load_peak,
    )
    as_expert = {p["slug"]: p for p in api(world, "expert").get("/api/v1/projects").json()}
    assert as_expert["alpha"]["team"]["load_peak"] is None
    assert as_expert["alpha"]["team"]["critical"] == row.critical
