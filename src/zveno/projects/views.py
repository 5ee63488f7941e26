"""Pages of workspaces and projects: the home page, a workspace and its people, a project, its
settings and its team."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.accounts import selectors as account_selectors
from zveno.accounts import services as account_services
from zveno.core.forms import apply_errors
from zveno.playbooks import selectors as playbook_selectors
from zveno.projects import services as project_services
from zveno.projects.forms import (
    InviteForm,
    MemberForm,
    NewProjectForm,
    ProjectSettingsForm,
    WorkspaceInviteForm,
)
from zveno.team import dashboard
from zveno.workspaces import access, selectors, services
from zveno.workspaces.roles import Capability


@access.member_required
def home(request):
    """Where a signed-in person starts: a maker (a copywriter, a designer) on one project lands on
    "My work"; others on their one workspace or project, or a list to choose from."""
    workspaces = list(access.workspaces_for(request.user))
    projects = list(access.projects_for(request.user))
    manages = any(
        access.can_workspace(request.user, w, Capability.WORKSPACE_MANAGE) for w in workspaces
    )
    if not manages and len(projects) == 1 and _maker(request.user, projects[0]):
        return redirect("content:my_work", projects[0].slug)
    if len(workspaces) == 1:
        return redirect("projects:workspace", workspaces[0].slug)
    if not workspaces and len(projects) == 1:
        return redirect("projects:project", projects[0].slug)
    return render(request, "workspaces/home.html", {"workspaces": workspaces, "projects": projects})


def _maker(user, project) -> bool:
    """Works on content without running the project: "My work" is their page."""
    granted = access.access_to(user, project)
    return granted.can(Capability.EDIT_CONTENT) and not granted.can(Capability.MANAGE_PROJECT)


@access.member_required
def workspace(request, ws: str):
    workspace = access.workspace_for(request.user, ws)
    context = {
        "workspace": workspace,
        "projects": selectors.projects_in(request.user, workspace),
        "can_create": access.can_workspace(
            request.user, workspace, Capability.WORKSPACE_CREATE_PROJECT
        ),
        "can_manage": access.can_workspace(request.user, workspace, Capability.WORKSPACE_MANAGE),
    }
    return render(request, "workspaces/workspace.html", context)


@access.member_required
def workspace_people(request, ws: str):
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_MANAGE)
    form = WorkspaceInviteForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            created = account_services.invite(
                request.user, workspace=workspace, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _after_invite(request, created, "projects:workspace_people", workspace.slug)
    pending = account_selectors.pending_invitations(workspace=workspace)
    context = {
        "workspace": workspace,
        "people": selectors.workspace_people(workspace),
        "form": form,
        **_invitation_context(request, pending),
    }
    return render(request, "workspaces/workspace_people.html", context)


def _after_invite(request, invitation, route: str, slug: str):
    """Post/redirect/get: a reload never sends a second invitation."""
    messages.success(request, _("Invitation created."))
    return redirect(f"{reverse(route, args=[slug])}?invited={invitation.pk}#invite-created")


def _invitation_context(request, pending) -> dict:
    """Pending invitations with their links (a link can be copied again until it is used)."""
    rows = [(inv, account_services.invitation_link(inv, request)) for inv in pending]
    invited = request.GET.get("invited", "")
    created = next((row for row in rows if str(row[0].pk) == invited), None)
    return {"invitations": rows, "created": created}


@access.member_required
def project_create(request, ws: str):
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_CREATE_PROJECT)
    offered = playbook_selectors.available([workspace])
    form = NewProjectForm(request.POST or None, playbooks=offered, language=request.LANGUAGE_CODE)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_services.start_project(request.user, workspace, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Project “%(name)s” created.") % {"name": project.name})
            granted = access.access_to(request.user, project)
            if form.cleaned_data.get("playbook") and granted.can(Capability.REVIEW_CONTENT):
                # The playbook's cadence already knows what to post: offer it as a first plan.
                return redirect(f"{reverse('content:plan_draft', args=[project.slug])}?welcome=1")
            return redirect("projects:project", project.slug)
    return render(request, "workspaces/project_form.html", {"form": form, "workspace": workspace})


@access.member_required
def project(request, slug: str):
    """The project's dashboard: health findings, the stage timeline, the load heat map."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    context = {
        "project": project,
        "granted": granted,
        "team": selectors.team(project),
        "tab": "overview",
        **dashboard.context(project, granted),
    }
    return render(request, "workspaces/project.html", context)


@access.member_required
def project_edit(request, slug: str):
    granted = access.grant_for(request.user, slug, need=Capability.MANAGE_PROJECT)
    project = granted.project
    initial = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
    initial["networks"] = list(
        project.channels.filter(is_active=True).values_list("network", flat=True)
    )
    form = ProjectSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_services.update_settings(request.user, project, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Project saved."))
            return redirect("projects:project", project.slug)
    context = {
        "form": form,
        "project": project,
        "granted": granted,
        "tab": "settings",
        "workspace": project.workspace,
    }
    return render(request, "workspaces/project_form.html", context)


@access.member_required
def members(request, slug: str):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    form = InviteForm(initial={"language": request.user.language, "capacity_hours": 20})
    if request.method == "POST":
        granted.require(Capability.MANAGE_TEAM)
        form = InviteForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = account_services.invite(
                    request.user,
                    project=project,
                    email=data["email"],
                    name=data["name"],
                    job_roles=data["roles"],
                    capacity_hours=data["capacity_hours"],
                    language=data["language"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return _after_invite(request, created, "projects:members", project.slug)
    manager = granted.can(Capability.MANAGE_TEAM)
    pending = account_selectors.pending_invitations(project=project) if manager else []
    context = {
        "project": project,
        "granted": granted,
        "team": selectors.team(project),
        "form": form,
        "tab": "members",
        **_invitation_context(request, pending),
    }
    return render(request, "workspaces/members.html", context)


@access.member_required
def member_edit(request, slug: str, pk: int):
    """An htmx row: GET shows the editor, POST saves roles and capacity."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_TEAM)
    membership = get_object_or_404(selectors.team(project), pk=pk)
    if request.method == "POST":
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                services.update_member(
                    request.user,
                    membership,
                    roles=form.cleaned_data["roles"],
                    capacity_hours=form.cleaned_data["capacity_hours"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                # Read again: the person may have just changed their own roles.
                return _member_row(request, access.access_to(request.user, project), membership)
    else:
        form = MemberForm(
            initial={"roles": membership.roles, "capacity_hours": membership.capacity_hours}
        )
    context = {"project": project, "m": membership, "form": form}
    return render(request, "workspaces/partials/_member_edit.html", context)


@access.member_required
def member_row(request, slug: str, pk: int):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    membership = get_object_or_404(selectors.team(project), pk=pk)
    return _member_row(request, granted, membership)


def _member_row(request, granted, membership):
    context = {"project": granted.project, "m": membership, "granted": granted}
    return render(request, "workspaces/partials/_member_row.html", context)


@access.member_required
@require_POST
def member_remove(request, slug: str, pk: int):
    project = access.project_for(request.user, slug, need=Capability.MANAGE_TEAM)
    membership = get_object_or_404(selectors.team(project), pk=pk)
    try:
        services.remove_member(request.user, membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = membership.user.display_name
        messages.success(request, _("%(name)s removed from the project.") % {"name": name})
    if request.headers.get("HX-Request"):
        response = HttpResponse("")
        response["HX-Redirect"] = reverse("projects:members", args=[project.slug])
        return response
    return redirect("projects:members", project.slug)


@access.member_required
@require_POST
def invitation_revoke(request, slug: str, pk: int):
    project = access.project_for(request.user, slug, need=Capability.MANAGE_TEAM)
    invitation = get_object_or_404(account_selectors.pending_invitations(project=project), pk=pk)
    account_services.revoke_invitation(request.user, invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("projects:members", project.slug)


@access.member_required
@require_POST
def workspace_invitation_revoke(request, ws: str, pk: int):
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_MANAGE)
    pending = account_selectors.pending_invitations(workspace=workspace)
    invitation = get_object_or_404(pending, pk=pk)
    account_services.revoke_invitation(request.user, invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("projects:workspace_people", workspace.slug)
