"""Reads for workspaces and projects, always scoped through the access module."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from zveno.workspaces import access
from zveno.workspaces.models import Project, ProjectMembership, Workspace, WorkspaceMembership


def projects_in(user, workspace: Workspace) -> QuerySet[Project]:
    return (
        access.projects_for(user)
        .filter(workspace=workspace)
        .annotate(team_size=Count("memberships", distinct=True))
        .order_by("status", "name")
    )


def team(project: Project) -> QuerySet[ProjectMembership]:
    return project.memberships.select_related("user").order_by("joined_at", "pk")


def workspace_people(workspace: Workspace) -> QuerySet[WorkspaceMembership]:
    return workspace.memberships.select_related("user").order_by("role", "user__username")


def colleague(workspace: Workspace, username: str | None, email: str | None):
    """Someone already working in the workspace (or one of its projects), by login or e-mail."""
    if not username and not email:
        return None
    in_workspace = Q(workspace_memberships__workspace=workspace) | Q(
        project_memberships__project__workspace=workspace
    )
    who = Q(username=username) if username else Q(email__iexact=email)
    return get_user_model().objects.filter(who, in_workspace, is_active=True).distinct().first()
