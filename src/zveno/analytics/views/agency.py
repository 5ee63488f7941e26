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
from django.template.defaultfilters import floatformat
from django.urls import path
from django.utils.formats import localize
from django.utils.html import escape, format_html
from django.utils.translation import gettext, ngettext_lazy

from zveno.analytics import formulas, summary
from zveno.analytics.models import Goal, GoalState, GoalStatus
from zveno.core import links
from zveno.team import summary as team_summary
from zveno.workspaces import access
from zveno.workspaces.models import Niche, ProjectStatus
from zveno.workspaces.roles import Capability

DAYS = 30
LOAD_WEEKS = team_summary.LOAD_WEEKS
CRITICAL = ngettext_lazy("%(n)s critical", "%(n)s critical", "n")
OVERLOADED = ngettext_lazy("%(n)s overloaded", "%(n)s overloaded", "n")
# What a row shows and its figures and grant need (the time zone: the 30 days are the project's).
PROJECT_COLUMNS = ("pk", "slug", "name", "niche", "status", "timezone", "workspace_id")
STATE_ORDER = [
    GoalState.REACHED,
    GoalState.ON_TRACK,
    GoalState.AT_RISK,
    GoalState.MISSED,
    GoalState.NO_DATA,
]


@dataclass
class Row:
    """One project's line of the agency table, with what the row prints already worked out, so
    the template only places it (a row costs a handful of lookups, not links, labels and plurals
    resolved in the template)."""

    project: object
    goals: list = field(default_factory=list)  # [(state value, label, count)]
    critical: list = field(default_factory=list)  # critical health findings
    load_peak: int | None = None  # the busiest member's peak, %; None: unknown or not shown
    overloaded: int = 0
    shows_load: bool = False
    current: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)
    reach_change: float | None = None  # reach against the previous 30 days, %
    err_change: float | None = None  # ERR against the previous 30 days, percentage points
    # What the template prints, one name each: the template looks each up once a row.
    name: str = ""
    status: str = ""
    overview_link: str = ""
    goals_link: str = ""
    project_link: str = ""
    badges: list = field(default_factory=list)  # [(state value, "label: count")]
    niche: str = ""
    status_label: str = ""  # empty for an active project
    critical_text: str = ""
    critical_titles: list = field(default_factory=list)  # the first two
    critical_more: bool = False  # more than two
    load_text: str = ""  # the peak as the page prints it; empty: no capacity set
    load_class: str = ""
    overloaded_text: str = ""
    reach_text: str = ""
    reach_change_text: str = ""  # signed: "+12", "-3"
    reach_change_class: str = ""
    no_earlier: bool = False  # a reach now, none in the 30 days before
    err_text: str = ""
    err_change_text: str = ""
    err_change_class: str = ""
    err_sign: str = ""  # "+" before a rise or no change (a fall has its minus)

    def __getitem__(self, name: str):
        """The template asks ``row.name`` as a key first; answering it spares an exception
        raised and caught for each of the page's thousands of values."""
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


def _goal_counts(projects) -> dict[int, list]:
    counts: dict[int, dict] = defaultdict(dict)
    rows = (
        Goal.objects.filter(project_id__in=[p.pk for p in projects], status=GoalStatus.ACTIVE)
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
        access.projects_for(user)
        .filter(workspace=workspace)
        .select_related(None)
        .only(*PROJECT_COLUMNS)
        .order_by("status", "name")
    )
    grants = access.grants_for(user, projects)
    projects = [p for p in projects if grants[p.pk].can(Capability.VIEW_ANALYTICS)]
    goals = _goal_counts(projects)
    figures = summary.compare_projects(projects, days=DAYS)
    stored = team_summary.for_projects(projects)
    shown = _Shown()
    rows = []
    for project in projects:
        row = Row(project, goals=goals.get(project.pk, []))
        row.current = figures[project.pk]["current"]
        row.previous = figures[project.pk]["previous"]
        _team(row, grants[project.pk], stored.get(project.pk))
        shown.fill(row)
        rows.append(row)
    return rows


def _signed(change: float, text: str) -> str:
    """A change as the table prints it: "+" before a rise or no change, the minus of a fall."""
    return f"+{text}" if change >= 0 else text


def _direction(change: float) -> str:
    return "agency-up" if change >= 0 else "agency-down"


class _Shown:
    """What a row prints, from what is read once a page: the links of one ``reverse`` each, the
    labels of plain dicts escaped once, each plural and each goal badge made once a number."""

    def __init__(self) -> None:
        self.overview = links.by_slug("analytics:overview")
        self.goals = links.by_slug("analytics:goals")
        self.project = links.by_slug("projects:project")
        self.niches = {value: escape(label) for value, label in Niche.choices}
        self.statuses = {value: escape(label) for value, label in ProjectStatus.choices}
        self.states = {value: escape(label) for value, label in GoalState.choices}
        self.plurals: dict[tuple[int, int], str] = {}
        self.badges: dict[tuple[str, int], str] = {}
        self.numbers: dict[int, str] = {}

    def plural(self, phrase, n: int) -> str:
        """``phrase`` is one of the module's ``ngettext_lazy`` plurals, translated once a number."""
        key = (id(phrase), n)
        if key not in self.plurals:
            self.plurals[key] = escape(phrase % {"n": n})
        return self.plurals[key]

    def number(self, n: int) -> str:
        """A whole number as ``{{ n }}`` prints it, localised once a number."""
        if n not in self.numbers:
            self.numbers[n] = localize(n)
        return self.numbers[n]

    def badge(self, state: str, n: int) -> str:
        """A goal badge's words, "label: count", as ``{{ label }}: {{ n }}`` prints them."""
        key = (state, n)
        if key not in self.badges:
            self.badges[key] = format_html("{}: {}", self.states[state], self.number(n))
        return self.badges[key]

    def fill(self, row: Row) -> None:
        project = row.project
        slug = project.slug
        row.name, row.status = project.name, project.status
        row.overview_link, row.goals_link = self.overview(slug), self.goals(slug)
        row.project_link = self.project(slug)
        row.badges = [(state, self.badge(state, n)) for state, _label, n in row.goals]
        row.niche = self.niches.get(project.niche, project.niche)
        if project.status != ProjectStatus.ACTIVE:
            row.status_label = self.statuses.get(project.status, project.status)
        if row.critical:
            row.critical_text = self.plural(CRITICAL, len(row.critical))
            row.critical_titles = [f.title for f in row.critical[:2]]
            row.critical_more = len(row.critical) > 2
        if row.load_peak is not None:
            row.load_text = self.number(row.load_peak)
            row.load_class = "agency-load over" if row.overloaded else "agency-load"
        if row.overloaded:
            row.overloaded_text = self.plural(OVERLOADED, row.overloaded)
        self._figures(row)

    def _figures(self, row: Row) -> None:
        cur, prev = row.current, row.previous
        if cur.get("reach") is not None:
            row.reach_text = floatformat(cur["reach"], "0g")
            if prev.get("reach") is not None:
                row.reach_change = formulas.percent(cur["reach"] - prev["reach"], prev["reach"])
            else:
                row.no_earlier = True
        if row.reach_change is not None:
            row.reach_change_text = _signed(row.reach_change, floatformat(row.reach_change, "0g"))
            row.reach_change_class = _direction(row.reach_change)
        if cur.get("err") is not None:
            row.err_text = floatformat(cur["err"], 2)
            if prev.get("err") is not None:
                row.err_change = cur["err"] - prev["err"]
                row.err_change_text = floatformat(row.err_change, 2)
                row.err_change_class = _direction(row.err_change)
                row.err_sign = "+" if row.err_change >= 0 else ""


@access.member_required
def agency(request, ws):
    workspace = access.workspace_for(request.user, ws)
    ctx = {
        "workspace": workspace,
        "rows": agency_rows(request.user, workspace),
        "days": DAYS,
        "err_formula": formulas.FORMULAS["err"],
        "text": {  # the rows' fixed words, translated and escaped once a page, not once a row
            "no_goals": escape(gettext("No active goals")),
            "none": escape(gettext("None")),
            "no_capacity": escape(gettext("no capacity set")),
            "no_earlier": escape(gettext("no earlier data")),
            "pp": escape(gettext("p.p.")),
        },
    }
    return render(request, "analytics/agency.html", ctx)


urls = [
    path("w/<slug:ws>/analytics/", agency, name="agency"),
]
