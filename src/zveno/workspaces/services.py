"""The only way workspaces, projects and memberships change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from zveno.core import bounds
from zveno.core.seams import Seam
from zveno.core.timezones import is_valid_timezone
from zveno.workspaces import access
from zveno.workspaces.models import (
    GoalType,
    Niche,
    Project,
    ProjectMembership,
    ProjectStatus,
    Workspace,
    WorkspaceMembership,
)
from zveno.workspaces.roles import Capability, JobRole, WorkspaceRole

# Seams for the apps built on projects (team fills them in its AppConfig.ready):
# (membership) after someone joins a project or their job roles change, in the same transaction;
MEMBER_JOINED = Seam("workspaces.member_joined")
# (project, actor) after a membership is removed, in the same transaction.
MEMBER_LEFT = Seam("workspaces.member_left")
# (project) after a write that bypasses the models' save and delete (a queryset update, a bulk
# create) changed what the project's team summaries are computed from, in the same transaction.
PROJECT_CHANGED = Seam("workspaces.project_changed")

PROJECT_FIELDS = (
    "name",
    "slug",
    "niche",
    "goal_type",
    "start_date",
    "end_date",
    "timezone",
    "status",
    "description",
)

# Russian letters become Latin ones in addresses (ГОСТ 7.79-2000 system B, simplified).
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
        "з": "z", "и": "i", "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c",
        "ч": "ch", "ш": "sh", "щ": "shh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip


def make_slug(text: str, taken: set[str] | None = None, exists=None, max_length: int = 50) -> str:
    """A readable, unique address from a (possibly Russian) name."""
    base = slugify(text.lower().translate(_TRANSLIT))[:max_length].strip("-") or "project"
    candidate, n = base, 1
    while (taken and candidate in taken) or (exists and exists(candidate)):
        n += 1
        candidate = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return candidate


# --- workspaces -------------------------------------------------------------------------------


@transaction.atomic
def create_workspace(owner, name: str, slug: str = "") -> Workspace:
    slug = slug or make_slug(name, exists=lambda s: Workspace.objects.filter(slug=s).exists())
    workspace = Workspace.objects.create(name=name, slug=slug)
    WorkspaceMembership.objects.create(workspace=workspace, user=owner, role=WorkspaceRole.OWNER)
    return workspace


@transaction.atomic
def add_workspace_member(workspace: Workspace, user, role: str) -> WorkspaceMembership:
    membership, created = WorkspaceMembership.objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    # Accepting an invitation never demotes anyone.
    order = [WorkspaceRole.MEMBER, WorkspaceRole.ADMIN, WorkspaceRole.OWNER]
    if not created and order.index(role) > order.index(membership.role):
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


# --- projects ---------------------------------------------------------------------------------


def _validate_project(data: dict) -> None:
    errors: dict[str, str] = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = _("Give the project a name.")
    for name in ("name", "slug"):
        limit = Project._meta.get_field(name).max_length
        if len(str(data.get(name) or "")) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    if data.get("niche") not in Niche.values:
        errors["niche"] = _("Choose a niche from the list.")
    if data.get("goal_type") not in GoalType.values:
        errors["goal_type"] = _("Choose a goal from the list.")
    if data.get("status") not in ProjectStatus.values:
        errors["status"] = _("Choose a status from the list.")
    if not is_valid_timezone(data.get("timezone") or ""):
        errors["timezone"] = _("Unknown time zone.")
    start, end = data.get("start_date"), data.get("end_date")
    if not isinstance(start, dt.date):
        errors["start_date"] = _("Enter the start date.")
    elif end is not None and end < start:
        errors["end_date"] = _("The end date cannot be before the start date.")
    bounds.check_days(errors, start_date=start, end_date=end)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_project(actor, workspace: Workspace, *, my_roles=None, **fields) -> Project:
    """Create a project; its creator joins the team (as SMM unless other roles are given)."""
    access.require_workspace(actor, workspace, Capability.WORKSPACE_CREATE_PROJECT)
    data = {
        "niche": Niche.OTHER,
        "goal_type": GoalType.LEADS,
        "timezone": settings.TIME_ZONE,
        "status": ProjectStatus.ACTIVE,
        "description": "",
        "end_date": None,
        "start_date": dt.date.today(),
    }
    data.update({k: v for k, v in fields.items() if k in PROJECT_FIELDS and v is not None})
    data["name"] = str(data.get("name") or "").strip()
    _validate_project(data)
    data["slug"] = _free_slug(data.get("slug") or "", data["name"])
    try:
        with transaction.atomic():
            project = Project.objects.create(workspace=workspace, **data)
    except IntegrityError:
        raise ValidationError({"slug": _("This address is already taken.")}) from None
    roles = list(my_roles) if my_roles else [JobRole.SMM]
    ProjectMembership.objects.create(project=project, user=actor, roles=_clean_roles(roles))
    return project


def _free_slug(requested: str, name: str) -> str:
    if requested:
        slug = slugify(requested)
        if not slug or slug != requested.lower():
            raise ValidationError(
                {"slug": _("Use Latin letters, digits and hyphens in the address.")}
            )
        if Project.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": _("This address is already taken.")})
        return slug
    return make_slug(name, exists=lambda s: Project.objects.filter(slug=s).exists())


@transaction.atomic
def update_project(actor, project: Project, **fields) -> Project:
    access.require(actor, project, Capability.MANAGE_PROJECT)
    project = Project.objects.select_for_update().get(pk=project.pk)
    data = {name: getattr(project, name) for name in PROJECT_FIELDS}
    data.update({k: v for k, v in fields.items() if k in PROJECT_FIELDS})
    data["name"] = str(data["name"] or "").strip()
    _validate_project(data)
    if data["slug"] != project.slug:
        data["slug"] = _free_slug(data["slug"], data["name"])
    changed = [name for name in PROJECT_FIELDS if getattr(project, name) != data[name]]
    for name in changed:
        setattr(project, name, data[name])
    if changed:
        project.save(update_fields=[*changed, "updated_at"])
    return project


# --- project team -----------------------------------------------------------------------------


def _clean_roles(roles) -> list[str]:
    cleaned = []
    for role in roles or []:
        if role not in JobRole.values:
            raise ValidationError({"roles": _("Unknown role: %(role)s") % {"role": role}})
        if role not in cleaned:
            cleaned.append(role)
    if not cleaned:
        raise ValidationError({"roles": _("Choose at least one role.")})
    return sorted(cleaned, key=JobRole.values.index)


def _clean_capacity(value) -> Decimal:
    try:
        capacity = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({"capacity_hours": _("Enter hours as a number.")}) from None
    if not Decimal(0) <= capacity <= Decimal(168):
        raise ValidationError({"capacity_hours": _("Capacity is between 0 and 168 hours a week.")})
    return capacity.quantize(Decimal("0.1"))


@transaction.atomic
def join_project(project: Project, user, roles, capacity_hours=20) -> ProjectMembership:
    """Adds a person to the team (used by invitations); roles add to those already held."""
    roles = _clean_roles(roles)
    membership, created = ProjectMembership.objects.select_for_update().get_or_create(
        project=project,
        user=user,
        defaults={"roles": roles, "capacity_hours": _clean_capacity(capacity_hours)},
    )
    if not created:
        membership.roles = _clean_roles([*membership.roles, *roles])
        membership.save(update_fields=["roles"])
    MEMBER_JOINED(membership)
    return membership


@transaction.atomic
def add_member(actor, project: Project, user, roles, capacity_hours=20) -> ProjectMembership:
    """Puts a colleague straight onto the team (people from outside get an invitation)."""
    access.require(actor, project, Capability.MANAGE_TEAM)
    return join_project(project, user, roles, capacity_hours)


@transaction.atomic
def update_member(actor, membership: ProjectMembership, *, roles=None, capacity_hours=None):
    access.require(actor, membership.project, Capability.MANAGE_TEAM)
    fields = []
    if roles is not None:
        membership.roles = _clean_roles(roles)
        fields.append("roles")
    if capacity_hours is not None:
        membership.capacity_hours = _clean_capacity(capacity_hours)
        fields.append("capacity_hours")
    if fields:
        membership.save(update_fields=fields)
    if roles is not None:
        MEMBER_JOINED(membership)
    return membership


@transaction.atomic
def remove_member(actor, membership: ProjectMembership) -> None:
    access.require(actor, membership.project, Capability.MANAGE_TEAM)
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot remove yourself from the project."))
    project = membership.project
    membership.delete()
    MEMBER_LEFT(project, actor)
