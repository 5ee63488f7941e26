"""The team a project's scope needs: hours per role a week at the playbook's cadence (the same
plan as ``workload.cadence_demand``), people by hours, the playbook's recommended team for the
networks, the team the project has and the places nobody fills. Reads only, no writes."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import get_language

from zveno.playbooks.models import Cadence
from zveno.publishing.models import Network
from zveno.team.workload import EXPERT, FTE_HOURS, NOT_PUBLISHING, channel_plans, shared_reads
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import JobRole


@dataclass(frozen=True)
class RoleNeed:
    """One role: weekly hours at the cadence, people by hours, the playbook's advice, the team."""

    role: str
    hours: float
    people_needed: int  # ceil(hours / FTE), at least 1 when there is work
    recommended: int  # by the playbook's team for this scope
    actual: int  # members who hold the role
    gap: int  # recommended places no separate person fills

    @property
    def label(self) -> str:
        return str(dict(JobRole.choices).get(self.role, self.role))


@dataclass
class Recommendation:
    """The team a project's networks and cadence need, beside the team it has."""

    networks: list[str]
    cadence: str
    rows: list[RoleNeed]
    headcount: int  # "you need N people": the playbook's team for this scope
    scope_roles: dict[str, int]
    note: str
    hours_total: float  # staff hours a week, the expert's excluded
    people_by_hours: int  # ceil(hours_total / FTE)
    expert_hours: float
    team_size: int  # members with a role other than the expert's
    missing_roles: list[str]  # recommended places no separate person fills
    network_hours: dict[str, float]  # staff hours a week per network
    staff_capacity: float

    @property
    def missing_labels(self) -> list[str]:
        labels = dict(JobRole.choices)
        return [str(labels.get(role, role)) for role in self.missing_roles]

    @property
    def network_labels(self) -> list[str]:
        labels = dict(Network.choices)
        return [str(labels.get(n, n)) for n in self.networks]

    @property
    def cadence_label(self) -> str:
        return str(dict(Cadence.choices).get(self.cadence, self.cadence))

    @property
    def recommended_labels(self) -> list[str]:
        labels = dict(JobRole.choices)
        return [
            f"{labels.get(role, role)} × {count}" if count > 1 else str(labels.get(role, role))
            for role, count in self.scope_roles.items()
        ]

    @property
    def sustainable_networks(self) -> int:
        """How many networks, cheapest first, the team's capacity covers at this cadence."""
        count, used = 0, 0.0
        for hours in sorted(self.network_hours.values()):
            if used + hours > self.staff_capacity + 1e-9:
                break
            used += hours
            count += 1
        return count


def people_for(hours: float) -> int:
    return max(1, math.ceil(round(hours, 6) / FTE_HOURS)) if hours > 0 else 0


def _match(slots: list[str], staff: list[ProjectMembership]) -> list[str]:
    """Recommended places no separate person can fill (a maximum matching, Kuhn's algorithm)."""
    taken: dict[int, int] = {}  # member pk -> slot index

    def place(slot: int, seen: set[int]) -> bool:
        for member in staff:
            if slots[slot] not in member.roles or member.pk in seen:
                continue
            seen.add(member.pk)
            if member.pk not in taken or place(taken[member.pk], seen):
                taken[member.pk] = slot
                return True
        return False

    for slot in range(len(slots)):
        place(slot, set())
    filled = set(taken.values())
    return [role for i, role in enumerate(slots) if i not in filled]


def recommendation(project: Project) -> Recommendation:
    """Hours per role a week at the project's cadence (the same plan as ``cadence_demand``, for
    any one week), people per role by hours, the playbook's team for the number of distinct
    networks of the active channels, the team it has, and the places nobody fills."""
    with shared_reads(project) as f:
        plans = channel_plans(f)
        role_hours: dict[str, float] = defaultdict(float)
        network_hours: dict[str, float] = defaultdict(float)
        for plan in plans:
            for role, hours in plan.role_hours().items():
                role_hours[role] += hours
                if role != EXPERT:
                    network_hours[plan.network] += hours
        networks = sorted(
            {c.network for c in f.channels if c.network not in NOT_PUBLISHING},
            key=Network.values.index,
        )
        scope = None
        if f.playbook is not None and networks:
            try:
                scope = f.playbook.team_for(len(networks), f.cadence)
            except LookupError:
                scope = None
        scope_roles = dict(scope.roles) if scope else {}
        staff = f.staff
        slots = [role for role in JobRole.values for _ in range(scope_roles.get(role, 0))]
        missing = _match(slots, staff)
        rows = []
        for role in JobRole.values:
            if role == EXPERT:
                continue
            hours = round(role_hours.get(role, 0.0), 2)
            actual = len(f.holders(role))
            recommended = scope_roles.get(role, 0)
            if hours or recommended or actual:
                need = RoleNeed(
                    role, hours, people_for(hours), recommended, actual, missing.count(role)
                )
                rows.append(need)
        staff_hours = sum(h for role, h in role_hours.items() if role != EXPERT)
        return Recommendation(
            networks=networks,
            cadence=f.cadence,
            rows=rows,
            headcount=scope.headcount if scope else sum(r.people_needed for r in rows),
            scope_roles=scope_roles,
            note=scope.note.get(get_language() or "ru") if scope else "",
            hours_total=round(staff_hours, 2),
            people_by_hours=people_for(staff_hours),
            expert_hours=round(role_hours.get(EXPERT, 0.0), 2),
            team_size=len(staff),
            missing_roles=missing,
            network_hours={k: round(v, 2) for k, v in network_hours.items()},
            staff_capacity=sum(float(m.capacity_hours) for m in staff),
        )
