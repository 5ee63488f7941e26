"""Roles and capabilities: the one table that says who may do what.

Capabilities come from two places: the job roles a person holds in a project, and the role they
hold in the project's workspace (owners and admins manage every project of their workspace).
The access module (``access.py``) is the only reader of these tables.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkspaceRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    MEMBER = "member", _("Member")


class JobRole(models.TextChoices):
    EXPERT = "expert", _("Expert (client)")
    SMM = "smm", _("SMM specialist")
    PRODUCER = "producer", _("Producer")
    COPYWRITER = "copywriter", _("Copywriter")
    DESIGNER = "designer", _("Designer")
    STORIES_MAKER = "stories_maker", _("Stories maker")
    REELS_MAKER = "reels_maker", _("Reels maker")
    VIDEO_EDITOR = "video_editor", _("Video editor")
    TARGETOLOGIST = "targetologist", _("Targetologist")
    SALES = "sales", _("Sales")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    ANALYST = "analyst", _("Analyst")


class Capability(StrEnum):
    """What a person may do in a project (or, for the WORKSPACE_* ones, in a workspace)."""

    VIEW_PROJECT = "view_project"
    MANAGE_PROJECT = "manage_project"  # edit settings, stages, playbook
    MANAGE_TEAM = "manage_team"  # invite, roles, capacity, remove, the matrix
    EDIT_CONTENT = "edit_content"  # create and work on content items
    REVIEW_CONTENT = "review_content"  # the SMM's review step
    APPROVE_AS_EXPERT = "approve_as_expert"
    ANSWER_EXPERT_REQUESTS = "answer_expert_requests"
    PUBLISH = "publish"
    VIEW_ANALYTICS = "view_analytics"
    LOG_METRICS = "log_metrics"  # business metrics: dialogues, leads, sales
    MANAGE_ANALYTICS = "manage_analytics"  # goals, imports, reports
    WORKSPACE_VIEW = "workspace_view"
    WORKSPACE_MANAGE = "workspace_manage"  # workspace invitations and roles
    WORKSPACE_CREATE_PROJECT = "workspace_create_project"


C = Capability

_TEAM = {C.VIEW_PROJECT, C.EDIT_CONTENT, C.VIEW_ANALYTICS}
_LEAD = {
    C.VIEW_PROJECT,
    C.MANAGE_PROJECT,
    C.MANAGE_TEAM,
    C.EDIT_CONTENT,
    C.REVIEW_CONTENT,
    C.PUBLISH,
    C.VIEW_ANALYTICS,
    C.LOG_METRICS,
    C.MANAGE_ANALYTICS,
}

JOB_ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    JobRole.EXPERT: frozenset(
        {C.VIEW_PROJECT, C.APPROVE_AS_EXPERT, C.ANSWER_EXPERT_REQUESTS, C.VIEW_ANALYTICS}
    ),
    JobRole.SMM: frozenset(_LEAD),
    JobRole.PRODUCER: frozenset(_LEAD),
    JobRole.COPYWRITER: frozenset(_TEAM),
    JobRole.DESIGNER: frozenset(_TEAM),
    JobRole.STORIES_MAKER: frozenset(_TEAM),
    JobRole.REELS_MAKER: frozenset(_TEAM),
    JobRole.VIDEO_EDITOR: frozenset(_TEAM),
    JobRole.TARGETOLOGIST: frozenset({*_TEAM, C.LOG_METRICS}),
    JobRole.SALES: frozenset({C.VIEW_PROJECT, C.VIEW_ANALYTICS, C.LOG_METRICS}),
    JobRole.COMMUNITY_MANAGER: frozenset({*_TEAM, C.LOG_METRICS}),
    JobRole.ANALYST: frozenset(
        {C.VIEW_PROJECT, C.VIEW_ANALYTICS, C.LOG_METRICS, C.MANAGE_ANALYTICS}
    ),
}

# Owners and admins run every project of their workspace, but approving as the expert stays
# the expert's own act.
_WORKSPACE_MANAGER = frozenset(
    _LEAD | {C.WORKSPACE_VIEW, C.WORKSPACE_MANAGE, C.WORKSPACE_CREATE_PROJECT}
)
WORKSPACE_ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    WorkspaceRole.OWNER: _WORKSPACE_MANAGER,
    WorkspaceRole.ADMIN: _WORKSPACE_MANAGER,
    WorkspaceRole.MEMBER: frozenset({C.WORKSPACE_VIEW}),
}

MANAGING_ROLES = frozenset({WorkspaceRole.OWNER, WorkspaceRole.ADMIN})


def capabilities_for(job_roles: list[str], workspace_role: str | None) -> frozenset[Capability]:
    caps: set[Capability] = set()
    for role in job_roles:
        caps |= JOB_ROLE_CAPABILITIES.get(role, frozenset())
    if workspace_role:
        caps |= WORKSPACE_ROLE_CAPABILITIES.get(workspace_role, frozenset())
    return frozenset(caps)
