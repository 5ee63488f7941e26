"""Health rules: the seed's lessons as checks over a project. Reads only, no writes.

Each rule is a small function ``(Context) -> Iterable[Finding]`` registered in ``RULES``; a finding
has a stable code, a severity, a title, a plain explanation and a fix (translated, numbers
interpolated) and the evidence as raw numbers. ``evaluate(project)`` runs every rule and sorts the
findings critical → warning → info, then by code. Thresholds come from the workspace's
``HealthSettings`` (defaults when it never saved any; a read never creates the row).

The rules and their severities:

* H1 — an area has no Accountable (A): critical; several A: warning.
* H2 — an area has no Responsible (R): critical.
* H3 — no expert member is R or C for expert knowledge: critical (the seed's case 1). A project
  with no expert at all is H4's finding.
* H4 — warning: the project has no expert; or an expert is neither R nor C in the content plan,
  stories and reels. Expert requests plug in through ``EXPERT_INPUT_SOURCES``: unanswered requests,
  or a share of content with the expert's input below ``expert_min_share``.
* H5 — warning: a person holds ``roles_alarm`` job roles or more, or is R for more than
  ``max_responsible_areas`` areas (one finding each).
* H6 — a member is over ``overload_percent`` in at least ``overload_weeks`` of the next
  ``horizon_weeks`` weeks: critical above a 150 % peak, else warning; for the expert (the client,
  not staff) at most warning.
* H7 — the team, the expert not counted, is smaller than the playbook's recommended team for the
  networks and cadence: critical below half the recommended size, else warning.
* H8 — warning, scope creep: against the latest version of the agreement that someone accepted, a
  member now R or A in an area where it gave them neither, or with open tasks in such an area.
* H9 — the networks need more staff hours a week at the playbook's cadence than the team's
  capacity: critical when the need is over 1.5 times the capacity, else warning.
* H10 — info: matrix cells given to the SMM (or producer) only because nobody holds the playbook's
  role (``Assignment.fallback``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import formats
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zveno.core.timezones import today_in
from zveno.playbooks.schema import EXPERT_AREA
from zveno.team import workload
from zveno.team.health_settings import settings_for
from zveno.team.models import Agreement, Area, Assignment, HealthSettings, Task, TaskStatus
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import JobRole

CRITICAL, WARNING, INFO = "critical", "warning", "info"
SEVERITY_RANK = {CRITICAL: 0, WARNING: 1, INFO: 2}
SEVERITY_LABELS = {
    CRITICAL: gettext_lazy("Critical"),
    WARNING: gettext_lazy("Warning"),
    INFO: gettext_lazy("Info"),
}
CRITICAL_PEAK = 150  # H6: a peak above this is critical
CRITICAL_NEED = 1.5  # H9: hours needed above this many times the capacity is critical
# A project that started this recently, whose team is still its one creator holding areas only
# because nobody else is there yet, is being gathered: its staffing findings (H6, H7, H9: one
# cause, a team not invited yet) are warnings, so a new project does not open on three critical
# findings about people it is about to invite.
GATHERING_DAYS = 7
# H4 until expert requests exist: the areas where the expert's voice shapes the content.
EXPERT_CONTENT_AREAS = ("content_plan", "stories", "reels_video")

EVIDENCE_LABELS = {
    "person": gettext_lazy("Person"),
    "experts": gettext_lazy("Experts on the team"),
    "area": gettext_lazy("Area"),
    "areas": gettext_lazy("Areas"),
    "count": gettext_lazy("Count"),
    "roles": gettext_lazy("Job roles"),
    "limit": gettext_lazy("Limit"),
    "responsible_areas": gettext_lazy("Areas as Responsible"),
    "overloaded_weeks": gettext_lazy("Overloaded weeks"),
    "of_weeks": gettext_lazy("Weeks looked ahead"),
    "peak_percent": gettext_lazy("Peak load, %"),
    "threshold_percent": gettext_lazy("Overload from, %"),
    "capacity_hours": gettext_lazy("Capacity, hours a week"),
    "team_size": gettext_lazy("Team size"),
    "recommended": gettext_lazy("Recommended"),
    "missing_roles": gettext_lazy("Roles without a separate person"),
    "networks": gettext_lazy("Networks"),
    "cadence": gettext_lazy("Cadence"),
    "sustainable_networks": gettext_lazy("Networks the team can sustain"),
    "hours_needed": gettext_lazy("Hours needed a week"),
    "agreement_version": gettext_lazy("Agreement version"),
    "open_tasks": gettext_lazy("Open tasks outside the agreement"),
    "unanswered_requests": gettext_lazy("Unanswered requests"),
    "expert_input_share": gettext_lazy("Content with expert input, %"),
    "minimum_share": gettext_lazy("Minimum share, %"),
}
ROLE_LIST_KEYS = frozenset({"missing_roles"})


@dataclass(frozen=True)
class Finding:
    """One problem a rule found: what, how bad, why, the numbers, and what to do."""

    code: str
    severity: str  # "critical" | "warning" | "info"
    title: str
    explanation: str
    evidence: dict = field(default_factory=dict)
    fix: str = ""

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS[self.severity])

    def evidence_items(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a page: lists joined, role codes as their names."""
        roles = dict(JobRole.choices)
        items = []
        for key, value in self.evidence.items():
            if isinstance(value, list | tuple):
                if key in ROLE_LIST_KEYS:
                    value = [roles.get(v, v) for v in value]
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, float):
                value = _num(value)
            items.append((str(EVIDENCE_LABELS.get(key, key)), str(value)))
        return items

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "explanation": self.explanation,
            "evidence": dict(self.evidence),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class ExpertInput:
    """What expert requests say about the expert's involvement (from the content app, later)."""

    unanswered_requests: int  # overdue and still without an answer
    share_percent: float | None  # share of recent content items with the expert's input
    items: int = 0  # how many items the share is over


# (project) -> ExpertInput | None. The content app appends its reader of expert requests here in
# its AppConfig.ready; H4 then checks unanswered requests and the share against
# ``expert_min_share``.
EXPERT_INPUT_SOURCES: list[Callable[[Project], ExpertInput | None]] = []


def _num(value: float) -> str:
    """A number for a sentence, in the active language's format: 93.75 -> "93,8" in Russian."""
    value = round(float(value), 1)
    return formats.number_format(value, 0 if value == int(value) else 1)


def _r1(value: float) -> float:
    return round(float(value), 1)


# --- what the rules read ----------------------------------------------------------------------


class Context:
    """Everything the rules look at, each part read once and only when a rule asks for it."""

    def __init__(self, project: Project, settings: HealthSettings):
        self.project = project
        self.settings = settings
        self.facts = workload.facts(project)
        self.english = (get_language() or "ru").startswith("en")

    @property
    def members(self) -> list[ProjectMembership]:
        return self.facts.members

    @cached_property
    def gathering(self) -> bool:
        """The team is still being gathered: in its first days the project has one person
        besides the expert, and areas fell to them only because nobody holds the playbook's
        role yet (work not taken yet, unlike one person who took every role on purpose)."""
        team = [m for m in self.members if set(m.roles) - {JobRole.EXPERT}]
        started = today_in(self.project.timezone) - self.project.start_date
        if len(team) > 1 or started.days >= GATHERING_DAYS:
            return False
        return any(cell.fallback for cells in self.cells.values() for cell in cells)

    def staffing(self, severity: str) -> str:
        """A staffing finding's severity: at most a warning while the team is being gathered."""
        return WARNING if severity == CRITICAL and self.gathering else severity

    @cached_property
    def by_pk(self) -> dict[int, ProjectMembership]:
        return {m.pk: m for m in self.members}

    def name(self, membership_id: int) -> str:
        member = self.by_pk.get(membership_id)
        return member.user.display_name if member else str(membership_id)

    @cached_property
    def _prefetched(self) -> dict:
        """What ``_prefetch`` read for many projects at once (the agency view), or nothing."""
        return getattr(self.facts, "health_reads", None) or {}

    @cached_property
    def areas(self) -> list[Area]:
        if "areas" in self._prefetched:
            return self._prefetched["areas"]
        return list(Area.objects.filter(project_id=self.project.pk).order_by("order", "pk"))

    def area_name(self, area: Area) -> str:
        return area.name("en" if self.english else "ru")

    @cached_property
    def cells(self) -> dict[int, list[Assignment]]:
        """Area pk -> its matrix cells."""
        if "cells" in self._prefetched:
            return self._prefetched["cells"]
        rows: dict[int, list[Assignment]] = defaultdict(list)
        for cell in Assignment.objects.filter(area__project_id=self.project.pk):
            rows[cell.area_id].append(cell)
        return rows

    def letters(self, area: Area, membership_id: int) -> str:
        for cell in self.cells.get(area.pk, []):
            if cell.membership_id == membership_id:
                return cell.letters
        return ""

    def area(self, code: str) -> Area | None:
        return next((a for a in self.areas if a.code == code), None)

    @property
    def experts(self) -> list[ProjectMembership]:
        return self.facts.holders(JobRole.EXPERT)

    @cached_property
    def load(self) -> workload.Workload:
        return workload.project_load(self.project, weeks=max(1, self.settings.horizon_weeks))

    @cached_property
    def advice(self) -> workload.Recommendation:
        return workload.recommendation(self.project)

    @cached_property
    def open_area_tasks(self) -> list[tuple[int, str, int]]:
        """(assignee, area code, area) of every open task someone holds in an area."""
        if "area_tasks" in self._prefetched:
            return self._prefetched["area_tasks"]
        return list(
            Task.objects.filter(
                project_id=self.project.pk, assignee__isnull=False, area__isnull=False
            )
            .exclude(status=TaskStatus.DONE)
            .values_list("assignee_id", "area__code", "area_id")
        )

    @cached_property
    def agreement(self) -> Agreement | None:
        """The latest version someone accepted: what the team agreed to."""
        if "agreement" in self._prefetched:
            return self._prefetched["agreement"]
        return (
            Agreement.objects.filter(project_id=self.project.pk, acceptances__isnull=False)
            .order_by("-version")
            .first()
        )


Rule = Callable[[Context], Iterable[Finding]]


# --- the rules --------------------------------------------------------------------------------


def h1_accountable(ctx: Context) -> Iterable[Finding]:
    none, several = [], []
    for area in ctx.areas:
        count = sum("A" in cell.letters for cell in ctx.cells.get(area.pk, []))
        if count == 0:
            none.append(ctx.area_name(area))
        elif count > 1:
            several.append(ctx.area_name(area))
    if none:
        yield Finding(
            "H1",
            CRITICAL,
            _("Areas without an Accountable: %(count)s") % {"count": len(none)},
            _(
                "Every area needs exactly one Accountable (A), the person who answers for the "
                "result. Nobody answers for: %(areas)s."
            )
            % {"areas": ", ".join(none)},
            {"areas": none, "count": len(none)},
            _("Give each of these areas one A in the responsibility matrix."),
        )
    if several:
        yield Finding(
            "H1",
            WARNING,
            _("Areas with several Accountables: %(count)s") % {"count": len(several)},
            _(
                "When several people are Accountable (A) for one area, in practice nobody is. "
                "Several A in: %(areas)s."
            )
            % {"areas": ", ".join(several)},
            {"areas": several, "count": len(several)},
            _("Leave one A per area; the others can be R or C."),
        )


def h2_responsible(ctx: Context) -> Iterable[Finding]:
    without = [
        ctx.area_name(area)
        for area in ctx.areas
        if not any("R" in cell.letters for cell in ctx.cells.get(area.pk, []))
    ]
    if without:
        yield Finding(
            "H2",
            CRITICAL,
            _("Areas without a Responsible: %(count)s") % {"count": len(without)},
            _("Nobody is Responsible (R) for doing the work in: %(areas)s.")
            % {"areas": ", ".join(without)},
            {"areas": without, "count": len(without)},
            _(
                "Give each of these areas at least one R in the matrix, or invite someone who "
                "holds the playbook's role for it."
            ),
        )


def h3_expert_knowledge(ctx: Context) -> Iterable[Finding]:
    area = ctx.area(EXPERT_AREA)
    experts = ctx.experts
    if area is None or not experts:
        return  # no expert at all is H4's finding
    if any(set(ctx.letters(area, m.pk)) & {"R", "C"} for m in experts):
        return
    names = ", ".join(m.user.display_name for m in experts)
    yield Finding(
        "H3",
        CRITICAL,
        _("The expert does not take part in expert knowledge"),
        _(
            "%(person)s is neither Responsible nor Consulted for “%(area)s”. Without the "
            "expert's own stories, deals and opinions the feed turns into “a Wikipedia”: "
            "articles but no personality, and clients do not come."
        )
        % {"person": names, "area": ctx.area_name(area)},
        {"person": names, "area": ctx.area_name(area)},
        _(
            "Make the expert R or at least C for “%(area)s” and agree on a regular time for "
            "their stories and opinions."
        )
        % {"area": ctx.area_name(area)},
    )


def h4_expert_involvement(ctx: Context) -> Iterable[Finding]:
    if not ctx.experts:
        yield Finding(
            "H4",
            WARNING,
            _("The project has no expert"),
            _(
                "Nobody on the team holds the expert role, so nobody supplies stories, cases "
                "and opinions; content without the expert's voice rarely brings clients."
            ),
            {"experts": 0},
            _("Invite the expert (the client) to the project with the expert role."),
        )
        return
    areas = [a for code in EXPERT_CONTENT_AREAS if (a := ctx.area(code)) is not None]
    if areas:
        for expert in ctx.experts:
            if any(set(ctx.letters(a, expert.pk)) & {"R", "C"} for a in areas):
                continue
            names = [ctx.area_name(a) for a in areas]
            yield Finding(
                "H4",
                WARNING,
                _("Low expert involvement: %(person)s") % {"person": expert.user.display_name},
                _(
                    "%(person)s is neither Responsible nor Consulted in: %(areas)s. Content "
                    "made without the expert loses personality and trust."
                )
                % {"person": expert.user.display_name, "areas": ", ".join(names)},
                {"person": expert.user.display_name, "areas": names},
                _(
                    "Make the expert C for the content plan and R or C for stories and reels; "
                    "ask for material in short, regular requests."
                ),
            )
    yield from _h4_requests(ctx)


def _h4_requests(ctx: Context) -> Iterable[Finding]:
    minimum = ctx.settings.expert_min_share
    for source in EXPERT_INPUT_SOURCES:
        found = source(ctx.project)
        if found is None:
            continue
        low_share = found.share_percent is not None and found.share_percent < minimum
        if not found.unanswered_requests and not low_share:
            continue
        share = _r1(found.share_percent) if found.share_percent is not None else None
        yield Finding(
            "H4",
            WARNING,
            _("Low expert involvement: requests and content"),
            _(
                "Expert requests without an answer: %(unanswered)s; plan items published in the "
                "last 30 days that use an answered expert request: %(share)s%% of %(items)s "
                "(the minimum is %(minimum)s%%)."
            )
            % {
                "unanswered": found.unanswered_requests,
                "share": _num(share) if share is not None else "—",
                "items": found.items,
                "minimum": minimum,
            },
            {
                "unanswered_requests": found.unanswered_requests,
                "expert_input_share": share,
                "minimum_share": minimum,
            },
            _(
                "Agree with the expert on a weekly time to answer requests; ask for short "
                "voice notes instead of written texts."
            ),
        )


def h5_too_many_roles(ctx: Context) -> Iterable[Finding]:
    limit = ctx.settings.roles_alarm
    area_limit = ctx.settings.max_responsible_areas
    responsible: dict[int, int] = defaultdict(int)
    for cells in ctx.cells.values():
        for cell in cells:
            responsible[cell.membership_id] += "R" in cell.letters
    for m in ctx.members:
        person = m.user.display_name
        if len(m.roles) >= limit:
            yield Finding(
                "H5",
                WARNING,
                _("%(person)s holds too many roles: %(roles)s")
                % {"person": person, "roles": len(m.roles)},
                _(
                    "%(person)s holds %(roles)s job roles (the alarm starts at %(limit)s). One "
                    "specialist in many roles on many networks works at the limit every day, "
                    "and the project's potential is left unrealised."
                )
                % {"person": person, "roles": len(m.roles), "limit": limit},
                {"person": person, "roles": len(m.roles), "limit": limit},
                _(
                    "Hand some roles to other people, starting with those that take the most "
                    "hours (see the workload page)."
                ),
            )
        if responsible[m.pk] > area_limit:
            count = responsible[m.pk]
            yield Finding(
                "H5",
                WARNING,
                _("%(person)s is Responsible for too many areas: %(areas)s")
                % {"person": person, "areas": count},
                _(
                    "%(person)s is Responsible (R) for %(areas)s areas; more than %(limit)s "
                    "is more than one person can do well."
                )
                % {"person": person, "areas": count, "limit": area_limit},
                {"person": person, "responsible_areas": count, "limit": area_limit},
                _("Move R for some areas to other team members, or invite someone."),
            )


def h6_overload(ctx: Context) -> Iterable[Finding]:
    load = ctx.load
    for member in load.members:
        if member.overloaded_weeks < ctx.settings.overload_weeks:
            continue
        peak = member.peak_percent
        critical = peak is None or peak > CRITICAL_PEAK
        severity = CRITICAL if critical and not member.is_expert_only else WARNING
        severity = ctx.staffing(severity)
        values = {
            "person": member.name,
            "weeks": member.overloaded_weeks,
            "of_weeks": len(load.weeks),
            "threshold": load.threshold_percent,
            "capacity": _num(member.capacity_hours),
            "peak": peak if peak is not None else "∞",
        }
        yield Finding(
            "H6",
            severity,
            _("%(person)s is overloaded: %(weeks)s of %(of_weeks)s weeks") % values,
            _(
                "The planned work of %(person)s is above %(threshold)s%% of their capacity "
                "(%(capacity)s h a week) in %(weeks)s of the next %(of_weeks)s weeks; the peak "
                "is %(peak)s%%."
            )
            % values,
            {
                "person": member.name,
                "overloaded_weeks": member.overloaded_weeks,
                "of_weeks": len(load.weeks),
                "peak_percent": peak,
                "threshold_percent": load.threshold_percent,
                "capacity_hours": member.capacity_hours,
            },
            _(
                "Lower the cadence or the number of networks, move work to other people, or "
                "raise the capacity if the time is really there."
            ),
        )


def h7_team_size(ctx: Context) -> Iterable[Finding]:
    advice = ctx.advice
    if not advice.scope_roles or advice.team_size >= advice.headcount:
        return
    severity = ctx.staffing(CRITICAL if advice.team_size * 2 < advice.headcount else WARNING)
    values = {
        "team_size": advice.team_size,
        "recommended": advice.headcount,
        "networks": len(advice.networks),
        "roles": ", ".join(advice.missing_labels) or "—",
    }
    explanation = _(
        "For %(networks)s networks at this cadence the playbook recommends a team of "
        "%(recommended)s; the team has %(team_size)s (the expert is not counted). Roles "
        "without a separate person: %(roles)s."
    )
    explanation = explanation % values
    if advice.note:
        explanation = f"{explanation} {advice.note}"
    if ctx.gathering:
        explanation += " " + _(
            "The project has just started and its team is not invited yet; the load and the "
            "networks are judged against the team you invite."
        )
    yield Finding(
        "H7",
        severity,
        _("The team is smaller than the playbook recommends: %(team_size)s of %(recommended)s")
        % values,
        explanation,
        {
            "team_size": advice.team_size,
            "recommended": advice.headcount,
            "missing_roles": advice.missing_roles,
            "networks": len(advice.networks),
        },
        _(
            "Invite people for the missing roles, or reduce the scope: fewer networks or a "
            "lower cadence."
        ),
    )


def h8_scope_creep(ctx: Context) -> Iterable[Finding]:
    agreement = ctx.agreement
    if agreement is None:
        return
    agreed = {
        (code, int(mid))
        for code, row in agreement.snapshot.get("cells", {}).items()
        for mid, letters in row.items()
        if {"R", "A"} & set(letters)
    }
    outside: dict[int, list[str]] = defaultdict(list)
    for area in ctx.areas:
        for cell in ctx.cells.get(area.pk, []):
            if {"R", "A"} & set(cell.letters) and (area.code, cell.membership_id) not in agreed:
                outside[cell.membership_id].append(ctx.area_name(area))
    tasks: dict[int, int] = defaultdict(int)
    open_tasks = ctx.open_area_tasks
    names = {a.pk: ctx.area_name(a) for a in ctx.areas}
    for assignee_id, code, area_id in open_tasks:
        if (code, assignee_id) not in agreed:
            tasks[assignee_id] += 1
            if names.get(area_id) and names[area_id] not in outside[assignee_id]:
                outside[assignee_id].append(names[area_id])
    for m in ctx.members:
        if not outside.get(m.pk):
            continue
        person, areas = m.user.display_name, outside[m.pk]
        values = {
            "person": person,
            "version": agreement.version,
            "areas": ", ".join(areas),
            "tasks": tasks.get(m.pk, 0),
        }
        yield Finding(
            "H8",
            WARNING,
            _("Work outside the agreement: %(person)s") % values,
            _(
                "In agreement version %(version)s, which the team accepted, %(person)s was "
                "neither R nor A for: %(areas)s. Now they are, or have open tasks there "
                "(%(tasks)s)."
            )
            % values,
            {
                "person": person,
                "areas": areas,
                "open_tasks": tasks.get(m.pk, 0),
                "agreement_version": agreement.version,
            },
            _(
                "Discuss the change with the person and have the new version of the agreement "
                "accepted, or move the work back."
            ),
        )


def h9_networks(ctx: Context) -> Iterable[Finding]:
    advice = ctx.advice
    need, capacity = advice.hours_total, advice.staff_capacity
    if not advice.networks or need <= capacity + 1e-9:
        return
    severity = ctx.staffing(CRITICAL if need > CRITICAL_NEED * capacity else WARNING)
    values = {
        "networks": len(advice.networks),
        "sustainable": advice.sustainable_networks,
        "hours": _num(need),
        "capacity": _num(capacity),
    }
    yield Finding(
        "H9",
        severity,
        _("More networks than the team can sustain: %(networks)s, sustainable %(sustainable)s")
        % values,
        _(
            "At the playbook's cadence %(networks)s networks need %(hours)s h of team work a "
            "week; the team has %(capacity)s h. It can sustain %(sustainable)s networks."
        )
        % values,
        {
            "networks": len(advice.networks),
            "sustainable_networks": advice.sustainable_networks,
            "hours_needed": _r1(need),
            "capacity_hours": _r1(capacity),
            "cadence": advice.cadence,
        },
        _("Pause some networks, lower the cadence, or grow the team."),
    )


def h10_fallback(ctx: Context) -> Iterable[Finding]:
    handed: dict[int, list[str]] = defaultdict(list)
    for area in ctx.areas:
        for cell in ctx.cells.get(area.pk, []):
            if cell.fallback:
                handed[cell.membership_id].append(ctx.area_name(area))
    for membership_id, areas in handed.items():
        person = ctx.name(membership_id)
        values = {"person": person, "count": len(areas), "areas": ", ".join(areas)}
        yield Finding(
            "H10",
            INFO,
            _("Areas handed to %(person)s for lack of a role: %(count)s") % values,
            _(
                "Nobody on the team holds the playbook's role for: %(areas)s, so these areas "
                "went to %(person)s by default. This is how the SMM specialist ends up doing "
                "ads and sales without support."
            )
            % values,
            {"person": person, "areas": areas, "count": len(areas)},
            _("Invite people for the missing roles, or confirm the arrangement in the agreement."),
        )


RULES: list[Rule] = [
    h1_accountable,
    h2_responsible,
    h3_expert_knowledge,
    h4_expert_involvement,
    h5_too_many_roles,
    h6_overload,
    h7_team_size,
    h8_scope_creep,
    h9_networks,
    h10_fallback,
]


def sort_key(finding: Finding) -> tuple[int, int]:
    return SEVERITY_RANK[finding.severity], int(finding.code.lstrip("H") or 0)


def evaluate(project: Project) -> list[Finding]:
    """Every rule's findings, critical first, then by code. Inside ``workload.shared_reads_many``
    the project's matrix, agreement and tasks come from one read for all the projects."""
    with workload.shared_reads(project) as f:
        ctx = Context(project, f.settings or settings_for(project.workspace_id))
        findings = [finding for rule in RULES for finding in rule(ctx)]
    return sorted(findings, key=sort_key)


def _prefetch(facts: dict[int, workload.Facts], weeks: int) -> None:
    """The rules' own reads (areas, matrix cells, the accepted agreement, open tasks in areas)
    for many projects in four queries, left on each project's shared facts."""
    pks = list(facts)
    if not pks:
        return
    reads = {pk: {"areas": [], "cells": defaultdict(list), "agreement": None, "area_tasks": []}
             for pk in pks}  # fmt: skip
    for area in Area.objects.filter(project_id__in=pks).order_by("order", "pk"):
        reads[area.project_id]["areas"].append(area)
    cells = Assignment.objects.filter(area__project_id__in=pks).select_related("area")
    for cell in cells:
        reads[cell.area.project_id]["cells"][cell.area_id].append(cell)
    accepted = (
        Agreement.objects.filter(project_id__in=pks, acceptances__isnull=False)
        .order_by("project_id", "-version")
        .distinct()
    )
    for agreement in accepted:
        if reads[agreement.project_id]["agreement"] is None:
            reads[agreement.project_id]["agreement"] = agreement
    tasks = (
        Task.objects.filter(project_id__in=pks, assignee__isnull=False, area__isnull=False)
        .exclude(status=TaskStatus.DONE)
        .values_list("project_id", "assignee_id", "area__code", "area_id")
    )
    for project_id, *row in tasks:
        reads[project_id]["area_tasks"].append(tuple(row))
    for pk, f in facts.items():
        f.health_reads = reads[pk]  # type: ignore[attr-defined]


if _prefetch not in workload.PREFETCH:
    workload.PREFETCH.append(_prefetch)
