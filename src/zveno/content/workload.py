"""The content plan in the weekly load: real items replace the cadence estimate where they exist.

Plugged into ``zveno.team.workload`` by ``ContentConfig.ready()``:

* ``content_demand`` (a ``DEMAND_SOURCES`` entry) — for each open step (not done) of an item that
  is not cancelled and whose planned time falls in the weeks asked (weeks in the project's time
  zone), the step's hours from the playbook's effort norms for the item's format
  (``deadlines.STEP_ROLES``: copy = copywriter, design = designer + stories maker + reels maker +
  video editor, review = smm, expert approval = expert; a format or role the playbook does not
  list counts 0). The hours count in the week of the step's due time (of the item's planned time
  when the step has none). An assigned step's hours go to its assignee; an unassigned one is
  allocated like the cadence's: to the role's holders, else the SMM (else the producer) as an
  uncovered role, and the expert's hours to the experts, else reported as missing expert input.
  The expert's input is thus counted for items that still await expert approval.
  Source: ``"content:<item id>/<step kind>"``.
* ``plan_coverage`` (a ``PLAN_COVERAGE`` entry) — every (channel id, week) with at least one
  publication of a non-cancelled item planned in that week (the publication's own time, else the
  item's) is covered: the cadence estimate for that channel and week is dropped.

Both read the same single query, once per ``shared_reads`` block (``project_load``), so the
load's query count grows by one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Q

from zveno.content.deadlines import STEP_ROLES
from zveno.content.models import ContentItem, State
from zveno.team import workload
from zveno.team.workload import Demand
from zveno.workspaces.models import Project


def _bounds(project: Project, weeks: list[dt.date]) -> tuple[dt.datetime, dt.datetime] | None:
    """[first Monday 00:00, the Monday after the last week 00:00) in the project's zone."""
    if not weeks:
        return None
    zone = zoneinfo.ZoneInfo(project.timezone)
    begin = dt.datetime.combine(min(weeks), dt.time(), tzinfo=zone)
    end = dt.datetime.combine(max(weeks) + dt.timedelta(weeks=1), dt.time(), tzinfo=zone)
    return begin, end


def _week(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return workload.monday(moment.astimezone(zone).date())


@dataclass(frozen=True)
class _Row:
    """One item × publication × step combination of the plan read (None: the item has none)."""

    item_id: int
    format: str
    planned_at: dt.datetime | None
    channel_id: int | None
    publication_at: dt.datetime | None
    step_id: int | None
    kind: str | None
    assignee_id: int | None
    due_at: dt.datetime | None
    done_at: dt.datetime | None


def _plan_rows(project: Project, weeks: list[dt.date]) -> list[_Row]:
    """The non-cancelled items planned (or with a publication planned) in the weeks, with their
    publications and steps, in one query; read once per ``shared_reads`` block."""
    bounds = _bounds(project, weeks)
    if bounds is None:
        return []
    f = workload.shared_facts(project)
    key = (project.pk, tuple(weeks))
    cached = getattr(f, "content_plan_rows", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    begin, end = bounds
    wider = getattr(f, "content_plan_wide", None)
    if wider is not None and wider[0] <= begin and end <= wider[1]:
        # Read for many projects at once (``prefetch``): the rows of these weeks are among them.
        rows = [row for row in wider[2] if _within(row, begin, end)]
    else:
        rows = [_Row(*values[1:]) for values in _read_rows([project.pk], begin, end)]
    if f is not None:
        f.content_plan_rows = (key, rows)  # type: ignore[attr-defined]
    return rows


def _read_rows(pks: list[int], begin: dt.datetime, end: dt.datetime):
    """(project id, *_Row) of the plan rows in [begin, end) of these projects, in one query."""
    return (
        ContentItem.objects.filter(project_id__in=pks)
        .exclude(state=State.CANCELLED)
        .filter(
            Q(planned_at__gte=begin, planned_at__lt=end)
            | Q(publications__planned_at__gte=begin, publications__planned_at__lt=end)
        )
        .values_list(
            "project_id", "id", "format", "planned_at", "publications__channel_id",
            "publications__planned_at", "steps__id", "steps__kind", "steps__assignee_id",
            "steps__due_at", "steps__done_at",
        )
        .order_by("id", "steps__id")
    )  # fmt: skip


def _within(row: _Row, begin: dt.datetime, end: dt.datetime) -> bool:
    """The filter of ``_read_rows`` on one joined row."""
    return (row.planned_at is not None and begin <= row.planned_at < end) or (
        row.publication_at is not None and begin <= row.publication_at < end
    )


def prefetch(facts: dict[int, workload.Facts], weeks: int) -> None:
    """A ``workload.PREFETCH`` hook: the plan rows of every project for up to ``weeks`` weeks
    from this week (the widest of their zones) in one query, kept on each project's facts."""
    spans = {
        pk: _bounds(f.project, workload.week_list(f.today, max(1, weeks)))
        for pk, f in facts.items()
    }
    if not spans:
        return
    begin = min(b for b, _e in spans.values())
    end = max(e for _b, e in spans.values())
    rows: dict[int, list[_Row]] = {pk: [] for pk in facts}
    for values in _read_rows(list(facts), begin, end):
        rows[values[0]].append(_Row(*values[1:]))
    for pk, f in facts.items():
        f.content_plan_wide = (begin, end, rows[pk])  # type: ignore[attr-defined]


def content_demand(project: Project, weeks: list[dt.date]) -> Iterator[Demand]:
    rows = _plan_rows(project, weeks)
    if not rows:
        return
    f = workload.facts(project)
    effort = f.playbook.effort if f.playbook is not None else {}
    zone = zoneinfo.ZoneInfo(project.timezone)
    wanted = set(weeks)
    seen: set[int] = set()
    for row in rows:
        if row.step_id is None or row.step_id in seen or row.done_at is not None:
            continue
        seen.add(row.step_id)
        if row.planned_at is None or _week(row.planned_at, zone) not in wanted:
            continue  # the item's own planned time is outside the weeks asked
        week = _week(row.due_at or row.planned_at, zone)
        if week not in wanted:
            continue
        source = f"content:{row.item_id}/{row.kind}"
        for role in STEP_ROLES.get(row.kind, ()):
            hours = float(effort.get(row.format, {}).get(role, 0.0))  # sums to step_hours
            if hours <= 0:
                continue
            if row.assignee_id is not None:
                yield Demand(row.assignee_id, role, week, hours, source)
            else:
                yield from workload.allocate(f, role, hours, week, source)


def plan_coverage(project: Project, weeks: list[dt.date]) -> Iterable[tuple[int, dt.date]]:
    zone = zoneinfo.ZoneInfo(project.timezone)
    wanted = set(weeks)
    covered = set()
    for row in _plan_rows(project, weeks):
        moment = row.publication_at or row.planned_at
        if row.channel_id is None or moment is None:
            continue
        week = _week(moment, zone)
        if week in wanted:
            covered.add((row.channel_id, week))
    return covered


def register() -> None:
    """Adds the content plan to the load's sources and coverage, once."""
    if content_demand not in workload.DEMAND_SOURCES:
        workload.DEMAND_SOURCES.append(content_demand)
    if plan_coverage not in workload.PLAN_COVERAGE:
        workload.PLAN_COVERAGE.append(plan_coverage)
    if prefetch not in workload.PREFETCH:
        workload.PREFETCH.append(prefetch)
