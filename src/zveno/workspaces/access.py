"""The one place that answers "may this user see or do this here?".

Every view, API endpoint and CLI command resolves workspaces and projects through this module.
Missing and forbidden both raise Http404; PermissionDenied (403) only where the object is visible
but the action is not allowed.

Each decision is recorded for the current request, and ``AccessAuditMiddleware`` refuses a
response from a view that never asked (in development and tests; a logged error in production).
That is what makes the persona x route test fail for a new route without a check.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponseServerError

from zveno.workspaces.models import (
    Project,
    ProjectMembership,
    Workspace,
    WorkspaceMembership,
)
from zveno.workspaces.roles import Capability, capabilities_for

log = logging.getLogger(__name__)

_decisions: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "zveno_access_decisions", default=None
)


def _record(decision: str) -> None:
    decisions = _decisions.get()
    if decisions is not None:
        decisions.append(decision)


# --- workspaces -------------------------------------------------------------------------------


def workspaces_for(user) -> QuerySet[Workspace]:
    """Workspaces the user belongs to (as owner, admin or member)."""
    _record("projects:list")
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user)


def workspace_role(user, workspace: Workspace) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        WorkspaceMembership.objects.filter(user=user, workspace=workspace)
        .values_list("role", flat=True)
        .first()
    )


def workspace_for(user, slug: str, need: Capability = Capability.WORKSPACE_VIEW) -> Workspace:
    """The workspace with this slug if the user belongs to it; 404 otherwise, 403 if not allowed."""
    _record(f"workspace:{need}")
    membership = (
        WorkspaceMembership.objects.select_related("workspace")
        .filter(user=user, workspace__slug=slug)
        .first()  # the workspace and the user's role in it, one query
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise Http404
    if need not in capabilities_for([], membership.role):
        raise PermissionDenied
    return membership.workspace


def can_workspace(user, workspace: Workspace, need: Capability) -> bool:
    """For showing or hiding a button; the action itself still goes through a require_*."""
    _record(f"workspace:{need}?")
    return need in capabilities_for([], workspace_role(user, workspace))


def require_workspace(user, workspace: Workspace, need: Capability) -> None:
    _record(f"workspace:{need}")
    role = workspace_role(user, workspace)
    if role is None:
        raise Http404
    if need not in capabilities_for([], role):
        raise PermissionDenied


# --- projects ---------------------------------------------------------------------------------


def projects_for(user) -> QuerySet[Project]:
    """Every project the user may open."""
    _record("projects:list")
    return Project.objects.visible_to(user).select_related("workspace")


@dataclass(frozen=True)
class ProjectAccess:
    """What one user holds in one project: the grant that views and services pass down, so one
    request (or one service call) reads the memberships once."""

    project: Project
    membership: ProjectMembership | None
    workspace_role: str | None
    capabilities: frozenset[Capability]
    user_id: int | None = None  # whose grant it is (None: an anonymous visitor)

    def is_for(self, user, project: Project) -> bool:
        return self.project.pk == project.pk and self.user_id == (
            user.pk if user.is_authenticated else None
        )

    def can(self, need: Capability) -> bool:
        """For showing or hiding a button; the action itself still goes through ``require``."""
        return need in self.capabilities

    def require(self, need: Capability) -> ProjectAccess:
        """The check again with what was read: 404 if nothing is held, 403 if ``need`` is not."""
        _record(f"project:{need}")
        if not self.capabilities:
            raise Http404
        if need not in self.capabilities:
            raise PermissionDenied
        return self


def access_to(user, project: Project) -> ProjectAccess:
    membership = (
        ProjectMembership.objects.filter(user=user, project=project).first()
        if user.is_authenticated
        else None
    )
    role = workspace_role(user, project.workspace)
    caps = capabilities_for(membership.roles if membership else [], role)
    if membership is None and Capability.VIEW_PROJECT not in caps:
        caps = frozenset()
    user_id = user.pk if user.is_authenticated else None
    return ProjectAccess(project, membership, role, caps, user_id)


def grants_for(user, projects) -> dict[int, ProjectAccess]:
    """The user's grant in each of these projects, by project pk, read in two queries whatever
    their number (for lists of projects: the API, the agency view)."""
    projects = list(projects)
    if not user.is_authenticated or not projects:
        return {p.pk: ProjectAccess(p, None, None, frozenset(), None) for p in projects}
    memberships = {
        m.project_id: m
        for m in ProjectMembership.objects.filter(user=user, project__in=[p.pk for p in projects])
    }
    roles = dict(
        WorkspaceMembership.objects.filter(
            user=user, workspace_id__in={p.workspace_id for p in projects}
        ).values_list("workspace_id", "role")
    )
    grants = {}
    for project in projects:
        membership = memberships.get(project.pk)
        role = roles.get(project.workspace_id)
        caps = capabilities_for(membership.roles if membership else [], role)
        if membership is None and Capability.VIEW_PROJECT not in caps:
            caps = frozenset()
        grants[project.pk] = ProjectAccess(project, membership, role, caps, user.pk)
    return grants


def capabilities(user, project: Project) -> frozenset[Capability]:
    return access_to(user, project).capabilities


def grant_for(user, slug: str, need: Capability = Capability.VIEW_PROJECT) -> ProjectAccess:
    """The user's grant in the project with this slug (the project, the membership, the
    workspace role, the capabilities) if they may see it and do ``need`` there: 404 if it is
    missing or invisible, 403 if visible but not allowed. Pages pass the grant down instead of
    asking again."""
    _record(f"project:{need}")
    project = projects_for(user).filter(slug=slug).first()
    if project is None:
        raise Http404
    return _check(user, project, need)


def project_for(user, slug: str, need: Capability = Capability.VIEW_PROJECT) -> Project:
    """The project with this slug if the user may see it and do ``need`` there."""
    return grant_for(user, slug, need).project


def require(
    user, project: Project, need: Capability, grant: ProjectAccess | None = None
) -> ProjectAccess:
    """Re-checks inside a service: 404 if the project is not visible, 403 if not allowed.

    ``grant`` is what the caller has read already for this user and project (a page's
    ``grant_for``, or the service's own first check); the memberships are then not read again.
    A grant of another user or project is ignored."""
    if grant is None or not grant.is_for(user, project):
        grant = access_to(user, project)
    return grant.require(need)


def _check(user, project: Project, need: Capability) -> ProjectAccess:
    granted = access_to(user, project)
    if not granted.capabilities:
        raise Http404
    if need not in granted.capabilities:
        raise PermissionDenied
    return granted


def navigation(user) -> tuple[list[Workspace], list[tuple]]:
    """Workspaces and open projects for the side menu, each project as the tuple
    ``(pk, name, slug, status, workspace_id)``: the menu is on every page and may list hundreds,
    so it reads plain values, not model objects.

    Deliberately not recorded as a decision: the page around the menu must make its own.
    """
    if not user.is_authenticated:
        return [], []
    workspaces = list(Workspace.objects.filter(memberships__user=user))
    projects = list(
        Project.objects.visible_to(user)
        .exclude(status="archived")
        .values_list("pk", "name", "slug", "status", "workspace_id")  # what the menu shows
    )
    return workspaces, projects


# --- the caller's own account, public pages, the command line ---------------------------------


def own_account(user) -> None:
    """Self-service pages (profile, tokens): the signed-in user acts on their own account."""
    _record("account:self")
    if not user.is_authenticated or not user.is_active:
        raise Http404


def public(view: Callable) -> Callable:
    """Marks a view that anybody may open (log in, password reset, invitation links)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        _record("public")
        return view(request, *args, **kwargs)

    wrapper.zveno_public = True
    return wrapper


def member_required(view: Callable) -> Callable:
    """Signed-in users only; the view itself still asks this module about the object."""
    return login_required(view)


def operator_project(slug: str) -> Project:
    """The command line acts as the machine's operator, who may reach any project."""
    _record("operator")
    try:
        return Project.objects.select_related("workspace").get(slug=slug)
    except Project.DoesNotExist:
        raise Http404(slug) from None


# --- the audit -------------------------------------------------------------------------------


class AccessAuditMiddleware:
    """Refuses (or logs) a response from a view that never consulted this module."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        decisions: list[str] = []
        token = _decisions.set(decisions)
        try:
            response = self.get_response(request)
        finally:
            _decisions.reset(token)
        response.access_decisions = decisions
        match = getattr(request, "resolver_match", None)
        if match is None or decisions or _exempt(request, response):
            return response
        message = f"view {match.view_name or match.func!r} answered without an access check"
        if settings.ZVENO_ENFORCE_ACCESS_AUDIT:
            log.error(message)
            return HttpResponseServerError(message, content_type="text/plain")
        log.error(message)
        return response


def _exempt(request, response) -> bool:
    # An anonymous visitor bounced to the log-in page, or refused by the API's token check,
    # never reaches the view body.
    if response.status_code == 302 and not request.user.is_authenticated:
        return settings.LOGIN_URL in response.get("Location", "") or "/login" in response.get(
            "Location", ""
        )
    if response.status_code in (401, 405, 429):  # refused before the view body; reveals nothing
        return True
    if response.status_code in (400, 422) and request.path.startswith("/api/"):
        return True  # the API refused the request's shape before the operation ran
    return bool(
        request.path.startswith("/api/") and request.path.endswith(("/openapi.json", "/docs"))
    )
