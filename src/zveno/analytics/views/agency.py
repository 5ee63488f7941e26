"""The agency view: every project of a workspace the user may see, in one table.

Per project: how its active goals stand (by state), its critical health findings, the team's load
(peak over the next four weeks, for those who may see the load) and reach and ERR of the last 30
days against the 30 before. Goals and figures are read for all projects at once; health and load
are the stored team summaries (``team.summary``: kept when their inputs change, a stale one
recomputed on read for its project only), so the page costs the same number of queries for 5 or
200 projects and computes no rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.shortcuts import render
from django.urls import path

from zveno.analytics import formulas, summary
from zveno.analytics.models import Goal, GoalState, GoalStatus
from zveno.team import summary as team_summary
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

DAYS = 30
LOAD_WEEKS = team_summary.LOAD_WEEKS
STATE_ORDER = [
    GoalState.REACHED,
    GoalState.ON_TRACK,
    GoalState.AT_RISK,
    GoalState.MISSED,
    GoalState.NO_DATA,
]


@dataclass
class Row:
    """One project's line of the agency table."""

    project: object
    goals: list = field(default_factory=list)  # [(state value, label, count)]
    critical: list = field(default_factory=list)  # critical health findings
    load_peak: int | None = None  # the busiest member's peak, %; None: unknown or not shown
    overloaded: int = 0
    shows_load: bool = False
    current: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)

    @property
    def reach_change(self) -> float | None:
        """Reach against the previous 30 days, %."""
        cur, prev = self.current.get("reach"), self.previous.get("reach")
        if cur is None or prev is None:
            return None
        return formulas.percent(cur - prev, prev)

    @property
    def err_change(self) -> float | None:
        """ERR against the previous 30 days, in percentage points."""
        cur, prev = self.current.get("err"), self.previous.get("err")
        return None if cur is None or prev is None else cur - prev


def _goal_counts(projects) -> dict[int, list]:
    counts: dict[int, dict] = defaultdict(dict)
    rows = (
        Goal.objects.filter(project__in=projects, status=GoalStatus.ACTIVE)
        .order_by()
        .values_list("project_id", "state")
        .annotate(n=Count("pk"))
    )
    for project_id, state, n in rows:
        counts[project_id][state] = n
    labels = dict(GoalState.choices)
    return {
        pk: [(s.value, labels[s], by[s]) for s in STATE_ORDER if by.get(s)]
        for pk, by in counts.items()
    }


def _team(row: Row, granted, stored) -> None:
    """Critical findings and, for those who may see it, the load, as stored."""
    row.shows_load = granted.can(Capability.MANAGE_TEAM) or granted.can(Capability.EDIT_CONTENT)
    row.critical = team_summary.critical_of(stored)
    if row.shows_load and stored is not None:
        row.load_peak = stored.load_peak
        row.overloaded = stored.overloaded


def agency_rows(user, workspace) -> list[Row]:
    projects = list(
        access.projects_for(user).filter(workspace=workspace).order_by("status", "name")
    )
    grants = access.grants_for(user, projects)
    projects = [p for p in projects if grants[p.pk].can(Capability.VIEW_ANALYTICS)]
    goals = _goal_counts(projects)
    figures = summary.compare_projects(projects, days=DAYS)
    stored = team_summary.for_projects(projects)
    rows = []
    for project in projects:
        row = Row(project, goals=goals.get(project.pk, []))
        row.current = figures[project.pk]["current"]
        row.previous = figures[project.pk]["previous"]
        _team(row, grants[project.pk], stored.get(project.pk))
        rows.append(row)
    return rows


@access.member_required
def agency(request, ws):
    workspace = access.workspace_for(request.user, ws)
    ctx = {
        "workspace": workspace,
        "rows": agency_rows(request.user, workspace),
        "days": DAYS,
        "err_formula": formulas.FORMULAS["err"],
    }
    return render(request, "analytics/agency.html", ctx)


urls = [
    path("w/<slug:ws>/analytics/", agency, name="agency"),
]
