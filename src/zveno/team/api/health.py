"""REST endpoints for a project's health findings and its workload.

Health needs only VIEW_PROJECT: the expert (the client) sees the findings too — "your team is
smaller than the playbook recommends" is something the client should read. The workload (each
person's hours against their capacity, members × weeks) is the team's internal planning, so it
needs EDIT_CONTENT: the people who produce the content and the leads see it, the expert does not
(the same rule as the Workload tab).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from ninja import Field, Query, Router, Schema

from zveno.team import health, staffing, workload
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["health and workload"])

MAX_WEEKS = 26


class FindingOut(Schema):
    code: str = Field(description="Stable rule code, H1…H10.")
    severity: str = Field(description="critical, warning or info.")
    title: str
    explanation: str
    evidence: dict[str, Any] = Field(description="The numbers behind the finding.")
    fix: str


class WeekOut(Schema):
    week: dt.date = Field(description="The Monday of the week.")
    hours: float
    percent: int | None = Field(description="Hours against capacity; null without capacity.")
    over: bool


class MemberLoadOut(Schema):
    id: int = Field(description="Membership id.")
    name: str
    roles: list[str]
    capacity_hours: float
    weeks: list[WeekOut]
    overloaded_weeks: int
    peak_percent: int | None
    fallback_roles: list[str] = Field(description="Roles nobody holds that this person carries.")


class UncoveredOut(Schema):
    role: str
    hours: list[float] = Field(description="Per week, in the order of `weeks`.")
    taken_by: str | None


class RoleNeedOut(Schema):
    role: str
    hours: float = Field(description="Hours a week at the project's cadence.")
    people_needed: int = Field(description="ceil(hours / 40), at least 1 when there is work.")
    recommended: int = Field(description="Places for this role in the playbook's team.")
    actual: int = Field(description="Members who hold the role.")
    gap: int = Field(description="Recommended places no separate person fills.")


class RecommendationOut(Schema):
    networks: list[str]
    cadence: str
    headcount: int = Field(description="People the playbook recommends for this scope.")
    roles: dict[str, int] = Field(description="The playbook's recommended team by role.")
    note: str
    hours_total: float = Field(description="Staff hours a week; the expert's excluded.")
    people_by_hours: int
    expert_hours: float
    team_size: int = Field(description="Members with a role other than the expert's.")
    missing_roles: list[str]
    sustainable_networks: int
    rows: list[RoleNeedOut]


class WorkloadOut(Schema):
    weeks: list[dt.date]
    threshold_percent: int
    members: list[MemberLoadOut]
    uncovered: list[UncoveredOut]
    missing_expert_hours: list[float]
    unassigned_task_hours: list[float]
    unplanned_networks: list[str]
    total_hours: list[float]
    capacity_hours: float
    recommendation: RecommendationOut


@router.get("/projects/{slug}/health", response=list[FindingOut])
def project_health(request, slug: str):
    project = access.project_for(request.auth, slug)
    return [finding.as_dict() for finding in health.evaluate(project)]


@router.get("/projects/{slug}/workload", response=WorkloadOut)
def project_workload(request, slug: str, weeks: int = Query(4, ge=1, le=MAX_WEEKS)):
    project = access.project_for(request.auth, slug, need=Capability.EDIT_CONTENT)
    with workload.shared_reads(project):  # the team, channels and playbook read once
        load = workload.project_load(project, weeks=weeks)
        advice = staffing.recommendation(project)
    return {
        "weeks": load.weeks,
        "threshold_percent": load.threshold_percent,
        "members": [_member_out(m) for m in load.members],
        "uncovered": [
            {"role": gap.role, "hours": gap.hours, "taken_by": gap.taken_by}
            for gap in load.uncovered
        ],
        "missing_expert_hours": load.missing_expert_hours,
        "unassigned_task_hours": load.unassigned_task_hours,
        "unplanned_networks": load.unplanned_networks,
        "total_hours": load.total_hours,
        "capacity_hours": load.capacity_hours,
        "recommendation": _recommendation_out(advice),
    }


def _member_out(m: workload.MemberLoad) -> dict:
    return {
        "id": m.membership_id,
        "name": m.name,
        "roles": m.roles,
        "capacity_hours": m.capacity_hours,
        "weeks": [
            {"week": c.week, "hours": c.hours, "percent": c.percent, "over": c.over}
            for c in m.cells
        ],
        "overloaded_weeks": m.overloaded_weeks,
        "peak_percent": m.peak_percent,
        "fallback_roles": m.fallback_roles,
    }


def _recommendation_out(r: staffing.Recommendation) -> dict:
    return {
        "networks": r.networks,
        "cadence": r.cadence,
        "headcount": r.headcount,
        "roles": r.scope_roles,
        "note": r.note,
        "hours_total": r.hours_total,
        "people_by_hours": r.people_by_hours,
        "expert_hours": r.expert_hours,
        "team_size": r.team_size,
        "missing_roles": r.missing_roles,
        "sustainable_networks": r.sustainable_networks,
        "rows": [asdict(row) for row in r.rows],
    }
