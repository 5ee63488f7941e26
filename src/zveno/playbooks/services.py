"""Choosing a playbook for a project, and the workspace's own playbooks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zveno.core.seams import Seam
from zveno.playbooks import loader, selectors
from zveno.playbooks.models import Cadence, CustomPlaybook, ProjectPlaybook
from zveno.playbooks.schema import Playbook, PlaybookError
from zveno.playbooks.validation import validate
from zveno.workspaces import access
from zveno.workspaces.models import Project, Workspace
from zveno.workspaces.roles import Capability

# (project, playbook, language, actor) after a playbook is frozen into a project, in the same
# transaction: team builds areas, stages, tasks, the matrix and its agreement; analytics drafts
# the goals.
PLAYBOOK_CHOSEN = Seam("playbooks.playbook_chosen")

# (project) -> the project's stages as the playbook laid them out, with their progress: team,
# which owns stages, answers it for the project's playbook page.
PROJECT_STAGES = Seam("playbooks.project_stages")


def project_stages(project: Project) -> list:
    return [stage for answer in PROJECT_STAGES for stage in answer(project)]


def playbook_errors(exc: PlaybookError) -> ValidationError:
    """A playbook's problems as a ValidationError keyed by the path in the document."""
    fields: dict[str, list[str]] = {}
    for issue in exc.errors:
        fields.setdefault(issue.path or "document", []).append(issue.message)
    return ValidationError(fields)


@transaction.atomic
def choose_playbook(
    actor, project: Project, key: str, cadence: str = Cadence.MEDIUM
) -> ProjectPlaybook:
    """Freezes the playbook into the project and builds stages, tasks, the matrix and goals."""
    access.require(actor, project, Capability.MANAGE_PROJECT)
    found = selectors.resolve(project.workspace, key)
    if found is None:
        raise ValidationError({"playbook": _("Unknown playbook: %(key)s") % {"key": key}})
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": _("Choose low, medium or high.")})
    chosen, _created = ProjectPlaybook.objects.update_or_create(
        project=project,
        defaults={
            "key": key,
            "custom": found.custom,
            "document": found.playbook.to_dict(),
            "cadence": cadence,
            "applied_by": actor,
        },
    )
    language = getattr(actor, "language", "ru") or "ru"
    PLAYBOOK_CHOSEN(project, found.playbook, language, actor)
    return chosen


@transaction.atomic
def set_cadence(actor, project: Project, cadence: str) -> ProjectPlaybook:
    access.require(actor, project, Capability.MANAGE_PROJECT)
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": _("Choose low, medium or high.")})
    chosen = ProjectPlaybook.objects.select_for_update().filter(project=project).first()
    if chosen is None:
        raise ValidationError({"cadence": _("Choose a playbook for the project first.")})
    chosen.cadence = cadence
    chosen.save(update_fields=["cadence"])
    return chosen


# --- the workspace's own playbooks -------------------------------------------------------------


RESERVED_KEYS = {"import"}  # an address of the playbooks pages


def _check_key(workspace: Workspace, key: str, exclude: int | None = None) -> None:
    if key in loader.BUILTIN_KEYS or key in RESERVED_KEYS:
        raise ValidationError({"key": _("This key belongs to a built-in playbook.")})
    clash = CustomPlaybook.objects.filter(workspace=workspace, key=key)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"key": _("The workspace already has a playbook with this key.")})


@transaction.atomic
def clone_playbook(actor, workspace: Workspace, source_key: str, key: str = "") -> CustomPlaybook:
    """A copy of a built-in (or custom) playbook that the workspace can edit."""
    access.require_workspace(actor, workspace, Capability.WORKSPACE_MANAGE)
    found = selectors.resolve(workspace, source_key)
    if found is None:
        raise ValidationError({"key": _("Unknown playbook: %(key)s") % {"key": source_key}})
    key = key or _free_key(workspace, f"{source_key}_{workspace.slug}")
    document = found.playbook.to_dict()
    document["key"] = key
    _check_key(workspace, key)
    try:
        validate(document, source=key)
    except PlaybookError as exc:
        raise playbook_errors(exc) from None
    return CustomPlaybook.objects.create(
        workspace=workspace, key=key, based_on=source_key, document=document, created_by=actor
    )


def _free_key(workspace: Workspace, base: str) -> str:
    base = base[:50].replace("-", "_")
    candidate, n = base, 1
    while CustomPlaybook.objects.filter(workspace=workspace, key=candidate).exists():
        n += 1
        candidate = f"{base}_{n}"
    return candidate


@transaction.atomic
def save_playbook(actor, custom: CustomPlaybook, document: dict) -> CustomPlaybook:
    """Replaces a custom playbook after validating all of it; on any error nothing is saved."""
    access.require_workspace(actor, custom.workspace, Capability.WORKSPACE_MANAGE)
    try:
        playbook = validate(document, source=custom.key)
    except PlaybookError as exc:
        raise playbook_errors(exc) from None
    if playbook.key != custom.key:
        _check_key(custom.workspace, playbook.key, exclude=custom.pk)
        custom.key = playbook.key
    custom.document = playbook.to_dict()
    custom.save(update_fields=["key", "document", "updated_at"])
    return custom


@transaction.atomic
def import_playbook(
    actor, workspace: Workspace, text: str, source: str = "upload", replace: bool = False
) -> CustomPlaybook:
    """Imports a playbook file (YAML, the export format); a malformed file saves nothing.

    A playbook of the workspace with the same key is replaced only when asked to.
    """
    access.require_workspace(actor, workspace, Capability.WORKSPACE_MANAGE)
    try:
        playbook = loader.load_text(text, source=source)
    except PlaybookError as exc:
        raise playbook_errors(exc) from None
    existing = CustomPlaybook.objects.filter(workspace=workspace, key=playbook.key).first()
    if existing is not None:
        if not replace:
            raise ValidationError({"key": _("The workspace already has a playbook with this key.")})
        return save_playbook(actor, existing, playbook.to_dict())
    _check_key(workspace, playbook.key)
    return CustomPlaybook.objects.create(
        workspace=workspace, key=playbook.key, document=playbook.to_dict(), created_by=actor
    )


def export_playbook(playbook: Playbook) -> str:
    return loader.dump(playbook)
