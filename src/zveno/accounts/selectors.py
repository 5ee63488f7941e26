"""Reads of accounts: pending invitations of a project or a workspace."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from zveno.accounts.models import Invitation
from zveno.workspaces.models import Project, Workspace


def pending_invitations(*, project: Project | None = None, workspace: Workspace | None = None):
    qs = Invitation.objects.pending().select_related("invited_by", "project", "workspace")
    if project is not None:
        return qs.filter(project=project)
    return qs.filter(workspace=workspace, project__isnull=True)


def login_for(email_or_login: str) -> str:
    """The login of the account an e-mail address names ('' if none): one throttle count each."""
    if "@" not in email_or_login:
        return ""
    found = (
        get_user_model()
        .objects.filter(email__iexact=email_or_login.strip())
        .values_list("username", flat=True)
        .first()
    )
    return (found or "").lower()
