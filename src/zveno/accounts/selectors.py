"""Reads of accounts: pending invitations of a project or a workspace."""

from __future__ import annotations

from zveno.accounts.models import Invitation
from zveno.workspaces.models import Project, Workspace


def pending_invitations(*, project: Project | None = None, workspace: Workspace | None = None):
    qs = Invitation.objects.pending().select_related("invited_by", "project", "workspace")
    if project is not None:
        return qs.filter(project=project)
    return qs.filter(workspace=workspace, project__isnull=True)
