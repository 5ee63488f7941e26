"""An item's way to "approved": the project's approval policy as levels, the steps it needs and
who does each step (from the responsibility matrix)."""

from __future__ import annotations

from dataclasses import dataclass

from zveno.content.models import ApprovalPolicy, LevelRule, PolicyMode, State, StepKind
from zveno.team.services import responsible_for
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import Capability, JobRole, capabilities_for

C = Capability


@dataclass(frozen=True)
class Level:
    """One approval level as the workflow sees it."""

    number: int
    name: str
    state: str  # the item's state while it waits for this level
    rule: str
    capability: Capability | None  # built-in levels: who may decide
    approver_ids: frozenset[int]  # custom levels: membership ids who may decide


def policy_of(project: Project) -> ApprovalPolicy:
    """The project's policy; an unsaved default (SMM, then the expert) when none was set."""
    policy = ApprovalPolicy.objects.filter(project=project).first()
    return policy or ApprovalPolicy(project=project, mode=PolicyMode.SMM_EXPERT)


def levels_of(policy: ApprovalPolicy) -> list[Level]:
    review = Level(1, "SMM", State.REVIEW, LevelRule.ANY, C.REVIEW_CONTENT, frozenset())
    if policy.mode == PolicyMode.NONE:
        return []
    if policy.mode == PolicyMode.SMM:
        return [review]
    if policy.mode == PolicyMode.SMM_EXPERT:
        expert = Level(
            2, "expert", State.EXPERT_APPROVAL, LevelRule.ANY, C.APPROVE_AS_EXPERT, frozenset()
        )
        return [review, expert]
    levels = policy.levels.order_by("order").prefetch_related("approvers")
    return [
        Level(n, lv.name, State.REVIEW, lv.rule, None, frozenset(a.pk for a in lv.approvers.all()))
        for n, lv in enumerate(levels, start=1)
    ]


def step_kinds(levels: list[Level]) -> list[str]:
    kinds = [StepKind.COPY, StepKind.DESIGN]
    if levels:
        kinds.append(StepKind.REVIEW)
    if any(level.state == State.EXPERT_APPROVAL for level in levels):
        kinds.append(StepKind.EXPERT_APPROVAL)
    return kinds


def _member_with(project: Project, roles: tuple[str, ...]) -> ProjectMembership | None:
    for role in roles:
        for member in project.memberships.all():
            if role in member.roles:
                return member
    return None


def _reviewer(project: Project) -> ProjectMembership | None:
    """The content plan's Accountable or Responsible who may review, else the SMM or producer."""
    area = project.areas.filter(code="content_plan").first()
    if area is not None:
        cells = list(area.assignments.select_related("membership"))
        for letter in ("A", "R"):
            for cell in cells:
                roles = cell.membership.roles
                if letter in cell.letters and C.REVIEW_CONTENT in capabilities_for(roles, None):
                    return cell.membership
    return _member_with(project, (JobRole.SMM, JobRole.PRODUCER))


def assignee_for(project: Project, kind: str) -> ProjectMembership | None:
    """Who does a step, from the responsibility matrix."""
    if kind == StepKind.COPY:
        return responsible_for(project.areas.filter(code="copy").first())
    if kind == StepKind.DESIGN:
        return responsible_for(project.areas.filter(code="visuals").first())
    if kind == StepKind.REVIEW:
        return _reviewer(project)
    return _member_with(project, (JobRole.EXPERT,))
