"""REST endpoints for workspaces, projects and teams, over the same services and selectors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from zveno.accounts import services as account_services
from zveno.core.bounds import Day, Id
from zveno.playbooks.models import Cadence, ProjectPlaybook
from zveno.projects import services as project_services
from zveno.publishing.models import Channel, Network
from zveno.team import summary as team_summary
from zveno.workspaces import access, selectors, services
from zveno.workspaces.models import (
    GoalType,
    Niche,
    Project,
    ProjectMembership,
    ProjectStatus,
    WorkspaceMembership,
)
from zveno.workspaces.roles import Capability, JobRole

router = Router(tags=["projects"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    role: str


class TeamSummaryOut(Schema):
    status: str = Field(description="The worst severity of the team's health findings, or ok.")
    critical: int
    warnings: int
    infos: int
    load_peak: int | None = Field(
        description="The busiest staff member's peak load over the next four weeks, %; null "
        "when no capacity is set or the caller may not see the team's load."
    )
    overloaded: int = Field(description="Members over the overload threshold (0 when hidden).")
    computed_at: dt.datetime


class ProjectOut(Schema):
    slug: str
    name: str
    workspace: str
    niche: Niche
    goal_type: GoalType
    start_date: dt.date
    end_date: dt.date | None
    timezone: str
    status: ProjectStatus
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    capabilities: list[str] = Field(description="What the caller may do in this project.")
    playbook: str | None = Field(description="Key of the playbook the project follows.")
    cadence: str | None
    networks: list[str] = Field(description="Networks of the project's active channels.")
    team: TeamSummaryOut | None = Field(
        description="Team health and load as last computed (recomputed when their inputs change)."
    )


class ProjectIn(Schema):
    name: str
    slug: str | None = None
    workspace: str | None = Field(
        None, description="Workspace slug; your only workspace if omitted."
    )
    niche: Niche = Niche.OTHER
    goal_type: GoalType = GoalType.LEADS
    start_date: Day | None = None
    end_date: Day | None = None
    timezone: str | None = None
    status: ProjectStatus = ProjectStatus.ACTIVE
    description: str = ""
    my_roles: list[JobRole] | None = Field(None, description="Your roles in it; SMM by default.")
    playbook: str | None = Field(
        None, description="A playbook key: stages, tasks, the matrix and draft goals are built."
    )
    cadence: Cadence = Cadence.MEDIUM
    networks: list[Network] = Field(default_factory=list, description="A channel on each.")


class ProjectPatch(Schema):
    networks: list[Network] | None = Field(None, description="The active networks, all of them.")
    name: str | None = None
    slug: str | None = None
    niche: Niche | None = None
    goal_type: GoalType | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    timezone: str | None = None
    status: ProjectStatus | None = None
    description: str = None  # omitted: unchanged; null is refused


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str


class MemberOut(Schema):
    id: int
    user: UserOut
    roles: list[str]
    capacity_hours: Decimal
    joined_at: dt.datetime


class InvitationOut(Schema):
    id: int
    email: str
    roles: list[str]
    capacity_hours: Decimal
    expires_at: dt.datetime
    link: str


class MemberIn(Schema):
    username: str | None = Field(
        None, description="An existing person of the workspace, added at once."
    )
    email: str | None = Field(
        None, description="Added at once if they already work in the workspace, else invited."
    )
    name: str = ""
    roles: list[JobRole]
    capacity_hours: Annotated[Decimal, Field(ge=0, le=168)] = Decimal(20)


class MemberAdded(Schema):
    status: str = Field(description="'member' (added) or 'invited' (an invitation was sent).")
    member: MemberOut | None = None
    invitation: InvitationOut | None = None


class MemberPatch(Schema):
    roles: list[JobRole] | None = None
    capacity_hours: Annotated[Decimal, Field(ge=0, le=168)] | None = None


def _project_out(user, project: Project, extras: dict | None = None) -> dict:
    """One project as the API shows it; ``extras`` is what ``_extras`` read for a list at once."""
    if extras is None:
        extras = _extras(user, [project])
    grant, chosen, networks, stored = extras[project.pk]
    data = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
    data.update(
        workspace=project.workspace.slug,
        created_at=project.created_at,
        updated_at=project.updated_at,
        capabilities=sorted(grant.capabilities),
        playbook=chosen[0] if chosen else None,
        cadence=chosen[1] if chosen else None,
        networks=sorted(networks),
        team=_team_out(grant, stored),
    )
    return data


def _team_out(grant, stored) -> dict | None:
    if stored is None:
        return None
    shows_load = grant.can(Capability.MANAGE_TEAM) or grant.can(Capability.EDIT_CONTENT)
    return {
        "status": stored.status,
        "critical": stored.critical,
        "warnings": stored.warnings,
        "infos": stored.infos,
        "load_peak": stored.load_peak if shows_load else None,
        "overloaded": stored.overloaded if shows_load else 0,
        "computed_at": stored.computed_at,
    }


def _extras(user, projects: list[Project]) -> dict[int, tuple]:
    """Grants, playbooks, active networks and stored team summaries of these projects in five
    queries, whatever their number: project pk -> (grant, (playbook key, cadence) or None, set
    of networks, team summary or None)."""
    pks = [p.pk for p in projects]
    grants = access.grants_for(user, projects)
    # Plain tuples: a row of deferred model instances costs more than the rest of the list.
    rows = ProjectPlaybook.objects.filter(project_id__in=pks)
    chosen = {
        pk: (key, cadence) for pk, key, cadence in rows.values_list("project_id", "key", "cadence")
    }
    networks: dict[int, set] = {pk: set() for pk in pks}
    active = Channel.objects.filter(project_id__in=pks, is_active=True)
    for project_id, network in active.values_list("project_id", "network").distinct():
        networks[project_id].add(network)
    stored = team_summary.for_projects(projects)
    return {pk: (grants[pk], chosen.get(pk), networks[pk], stored.get(pk)) for pk in pks}


def _member_out(m: ProjectMembership) -> dict:
    user = {"id": m.user.pk, "username": m.user.username, "name": m.user.display_name}
    user["email"] = m.user.email
    return {
        "id": m.pk,
        "user": user,
        "roles": m.roles,
        "capacity_hours": m.capacity_hours,
        "joined_at": m.joined_at,
    }


@router.get("/workspaces", response=list[WorkspaceOut], tags=["workspaces"])
def list_workspaces(request):
    rows = WorkspaceMembership.objects.filter(
        workspace__in=access.workspaces_for(request.auth)
    ).filter(user=request.auth)
    return [
        {"slug": m.workspace.slug, "name": m.workspace.name, "role": m.role}
        for m in rows.select_related("workspace")
    ]


@router.get("/projects", response=list[ProjectOut])
def list_projects(request, status: ProjectStatus | None = None):
    projects = access.projects_for(request.auth)
    if status:
        projects = projects.filter(status=status)
    projects = list(projects)
    extras = _extras(request.auth, projects)
    return [_project_out(request.auth, p, extras) for p in projects]


@router.post("/projects", response={201: ProjectOut})
def create_project(request, payload: ProjectIn):
    user = request.auth
    if payload.workspace:
        workspace = access.workspace_for(user, payload.workspace)
    else:
        mine = list(access.workspaces_for(user))
        if len(mine) != 1:
            raise ValidationError(
                {"workspace": "Name the workspace: you belong to several or none."}
            )
        workspace = mine[0]
    fields = payload.dict(exclude={"workspace", "my_roles"}, exclude_none=True)
    fields["networks"] = [str(n) for n in fields.get("networks", [])]
    for name in ("niche", "goal_type"):
        if name not in payload.model_fields_set:
            fields.pop(name, None)  # the playbook's own niche and goal win over the defaults
    project = project_services.start_project(user, workspace, my_roles=payload.my_roles, **fields)
    return Status(201, _project_out(user, project))


@router.get("/projects/{slug}", response=ProjectOut)
def get_project(request, slug: str):
    return _project_out(request.auth, access.project_for(request.auth, slug))


@router.patch("/projects/{slug}", response=ProjectOut)
def patch_project(request, slug: str, payload: ProjectPatch):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    fields = payload.dict(exclude_unset=True)
    project = project_services.update_settings(request.auth, project, **fields)
    return _project_out(request.auth, project)


@router.get("/projects/{slug}/members", response=list[MemberOut], tags=["team"])
def list_members(request, slug: str):
    project = access.project_for(request.auth, slug)
    return [_member_out(m) for m in selectors.team(project)]


@router.post("/projects/{slug}/members", response={201: MemberAdded}, tags=["team"])
def add_member(request, slug: str, payload: MemberIn):
    """Adds a person of the workspace at once, or invites anyone else by e-mail (or by link)."""
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_TEAM)
    colleague = selectors.colleague(project.workspace, payload.username, payload.email)
    if colleague is not None:
        membership = services.add_member(
            request.auth, project, colleague, payload.roles, payload.capacity_hours
        )
        return Status(201, {"status": "member", "member": _member_out(membership)})
    if payload.username:
        raise ValidationError({"username": "No such person in this workspace."})
    invitation = account_services.invite(
        request.auth,
        project=project,
        email=payload.email or "",
        name=payload.name,
        job_roles=payload.roles,
        capacity_hours=payload.capacity_hours,
    )
    out = {
        "id": invitation.pk,
        "email": invitation.email,
        "roles": invitation.job_roles,
        "capacity_hours": invitation.capacity_hours,
        "expires_at": invitation.expires_at,
        "link": account_services.invitation_link(invitation, request),
    }
    return Status(201, {"status": "invited", "invitation": out})


@router.patch("/projects/{slug}/members/{member_id}", response=MemberOut, tags=["team"])
def patch_member(request, slug: str, member_id: Id, payload: MemberPatch):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_TEAM)
    membership = get_object_or_404(selectors.team(project), pk=member_id)
    membership = services.update_member(
        request.auth, membership, **payload.dict(exclude_unset=True)
    )
    return _member_out(membership)


@router.delete("/projects/{slug}/members/{member_id}", response={204: None}, tags=["team"])
def delete_member(request, slug: str, member_id: Id):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_TEAM)
    membership = get_object_or_404(selectors.team(project), pk=member_id)
    services.remove_member(request.auth, membership)
    return Status(204, None)
