"""The health rules H1–H10, each a small function over the context."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from zveno.playbooks.schema import EXPERT_AREA
from zveno.team.health.context import Context
from zveno.team.health.findings import (
    CRITICAL,
    CRITICAL_NEED,
    CRITICAL_PEAK,
    EXPERT_CONTENT_AREAS,
    INFO,
    WARNING,
    Finding,
    round1,
    sentence_number,
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
    for source in ctx.expert_input_sources:
        found = source(ctx.project)
        if found is None:
            continue
        low_share = found.share_percent is not None and found.share_percent < minimum
        if not found.unanswered_requests and not low_share:
            continue
        share = round1(found.share_percent) if found.share_percent is not None else None
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
                "share": sentence_number(share) if share is not None else "—",
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
            "capacity": sentence_number(member.capacity_hours),
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
        "hours": sentence_number(need),
        "capacity": sentence_number(capacity),
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
            "hours_needed": round1(need),
            "capacity_hours": round1(capacity),
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
