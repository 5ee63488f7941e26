"""The only way the matrix, agreements, stages and tasks change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core import bounds
from zveno.team import matrix, summary
from zveno.team.models import (
    Agreement,
    AgreementAcceptance,
    Area,
    Assignment,
    ChecklistItem,
    Stage,
    Task,
    TaskStatus,
    normalise_letters,
)
from zveno.workspaces import access
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import Capability

# A checklist line of a playbook stage becomes a task of this size until someone estimates it.
DEFAULT_TASK_HOURS = Decimal("1.0")


# --- building a project from its playbook ------------------------------------------------------


def build_from_playbook(project: Project, playbook, language: str = "ru") -> None:
    """Areas, the default matrix, stages with dates and tasks from the checklists.

    Called inside ``playbooks.services.choose_playbook``'s transaction; replaces what an earlier
    playbook built (agreements stay as history).
    """
    project.tasks.all().delete()
    project.stages.all().delete()
    project.areas.all().delete()
    areas = {}
    for order, spec in enumerate(playbook.areas):
        areas[spec.code] = Area.objects.create(
            project=project,
            code=spec.code,
            name_ru=_fit(spec.name.ru, 160),
            name_en=_fit(spec.name.en, 160),
            description_ru=spec.description.ru,
            description_en=spec.description.en,
            order=order,
        )
    regenerate_matrix(project, playbook)
    start = project.start_date
    for order, spec in enumerate(playbook.stages):
        end = start + dt.timedelta(days=spec.duration_days - 1)
        area = areas.get(spec.area)
        stage = Stage.objects.create(
            project=project,
            code=spec.code,
            name=_fit(spec.name.get(language), 200),
            purpose=spec.purpose.get(language),
            area=area,
            start_date=start,
            end_date=end,
            deliverables=[item.get(language) for item in spec.deliverables],
            order=order,
        )
        owner = responsible_for(area)
        Task.objects.bulk_create(
            Task(
                project=project,
                stage=stage,
                area=area,
                title=_fit(item.get(language), 300),
                assignee=owner,
                due_date=end,
                estimate_hours=DEFAULT_TASK_HOURS,
                order=position,
            )
            for position, item in enumerate(spec.checklist)
        )
        start = end + dt.timedelta(days=1)
    summary.mark_changed([project.pk])  # the tasks came in bulk


def _fit(text: str, limit: int) -> str:
    """A custom playbook's text may be longer than a column; keep it whole where it fits."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def regenerate_matrix(project: Project, playbook) -> None:
    """The playbook's default letters for the real team; areas nobody can take go to the SMM."""
    Assignment.objects.filter(area__project=project).delete()
    members = list(project.memberships.all())
    for area in project.areas.all():
        spec = playbook.area(area.code)
        _default_row(area, spec.raci, members)
    summary.mark_changed([project.pk])  # the cells came in bulk


def _default_row(area: Area, raci, members: list[ProjectMembership]) -> None:
    cells = {m.pk: matrix.default_letters(raci, m.roles) for m in members}
    fallback: set[int] = set()
    for letter in ("R", "A"):
        if not any(letter in letters for letters in cells.values()):
            taker = _fallback_member(members)
            if taker is not None:
                cells[taker.pk] = normalise_letters(cells[taker.pk] + letter)
                fallback.add(taker.pk)
    Assignment.objects.bulk_create(
        Assignment(area=area, membership_id=mid, letters=letters, fallback=mid in fallback)
        for mid, letters in cells.items()
        if letters
    )


def _fallback_member(members: list[ProjectMembership]) -> ProjectMembership | None:
    for role in matrix.FALLBACK_ROLES:
        for member in members:
            if role in member.roles:
                return member
    return None


def responsible_for(area: Area | None) -> ProjectMembership | None:
    """The first Responsible of an area, else its Accountable."""
    if area is None:
        return None
    cells = list(area.assignments.select_related("membership"))
    for letter in ("R", "A"):
        for cell in cells:
            if letter in cell.letters:
                return cell.membership
    return None


def playbook_chosen(project: Project, playbook, language: str, actor) -> None:
    """``playbooks.PLAYBOOK_CHOSEN``: areas, stages, tasks and the matrix, then its agreement."""
    build_from_playbook(project, playbook, language)
    sync_agreement(project, actor)


def member_left(project: Project, actor) -> None:
    """``workspaces.MEMBER_LEFT``: the agreement follows the smaller team."""
    sync_agreement(project, actor)


def member_joined(membership: ProjectMembership) -> None:
    """A newcomer gets the playbook's default letters for their roles in every area.

    Where the SMM was standing in for a missing role (a fallback cell), the newcomer takes the
    letter over, so the area keeps exactly one Accountable.
    """
    playbook_row = getattr(membership.project, "playbook", None)
    if playbook_row is None:
        return
    playbook = playbook_row.playbook
    for area in membership.project.areas.all():
        try:
            raci = playbook.area(area.code).raci
        except KeyError:
            continue
        letters = matrix.default_letters(raci, membership.roles)
        if not letters:
            continue
        Assignment.objects.update_or_create(
            area=area, membership=membership, defaults={"letters": letters, "fallback": False}
        )
        _release_fallback(area, membership, letters)
    sync_agreement(membership.project, None)


def _release_fallback(area: Area, newcomer: ProjectMembership, letters: str) -> None:
    for cell in area.assignments.filter(fallback=True).exclude(membership=newcomer):
        kept = normalise_letters("".join(x for x in cell.letters if x not in letters or x in "CI"))
        if kept == cell.letters:
            continue
        if kept:
            cell.letters = kept
            cell.fallback = False
            cell.save(update_fields=["letters", "fallback"])
        else:
            cell.delete()


# --- the matrix and its agreement ------------------------------------------------------------


@transaction.atomic
def set_cell(actor, area: Area, membership: ProjectMembership, letters: str) -> str:
    """Sets one cell of the matrix; the open agreement version follows."""
    project = area.project
    access.require(actor, project, Capability.MANAGE_TEAM)
    if membership.project_id != project.pk:
        raise ValidationError(_("This person is not on the project's team."))
    try:
        letters = normalise_letters(letters)
    except ValueError:
        raise ValidationError({"letters": _("Use the letters R, A, C and I.")}) from None
    if letters:
        Assignment.objects.update_or_create(
            area=area, membership=membership, defaults={"letters": letters, "fallback": False}
        )
    else:
        Assignment.objects.filter(area=area, membership=membership).delete()
    sync_agreement(project, actor)
    return letters


@transaction.atomic
def cycle_cell(actor, area: Area, membership: ProjectMembership) -> str:
    current = (
        Assignment.objects.filter(area=area, membership=membership)
        .values_list("letters", flat=True)
        .first()
    )
    return set_cell(actor, area, membership, matrix.next_letters(current or ""))


@transaction.atomic
def replace_matrix(actor, project: Project, cells: dict[str, dict[int, str]]) -> None:
    """Replaces the whole matrix: {area code: {membership id: letters}} (the API's PUT)."""
    access.require(actor, project, Capability.MANAGE_TEAM)
    areas = {a.code: a for a in project.areas.all()}
    members = {m.pk: m for m in project.memberships.all()}
    errors = {}
    for code, row in cells.items():
        if code not in areas:
            errors[f"cells.{code}"] = _("Unknown area.")
            continue
        for mid, letters in row.items():
            if int(mid) not in members:
                errors[f"cells.{code}.{mid}"] = _("This person is not on the project's team.")
            try:
                normalise_letters(letters)
            except ValueError:
                errors[f"cells.{code}.{mid}"] = _("Use the letters R, A, C and I.")
    if errors:
        raise ValidationError(errors)
    Assignment.objects.filter(area__project=project).delete()
    Assignment.objects.bulk_create(
        Assignment(area=areas[code], membership_id=int(mid), letters=normalise_letters(letters))
        for code, row in cells.items()
        for mid, letters in row.items()
        if normalise_letters(letters)
    )
    summary.mark_changed([project.pk])  # the cells came in bulk
    sync_agreement(project, actor)


def snapshot(project: Project) -> dict:
    """The matrix as it is now, in the form agreements keep."""
    members = list(project.memberships.select_related("user"))
    areas = list(project.areas.all())
    cells: dict[str, dict[str, str]] = {area.code: {} for area in areas}
    for cell in Assignment.objects.filter(area__project=project).select_related("area"):
        cells[cell.area.code][str(cell.membership_id)] = cell.letters
    return {
        "areas": [{"code": a.code, "name_ru": a.name_ru, "name_en": a.name_en} for a in areas],
        "members": [
            {"id": m.pk, "user_id": m.user_id, "name": m.user.display_name, "roles": m.roles}
            for m in members
        ],
        "cells": cells,
    }


@transaction.atomic
def sync_agreement(project: Project, actor, note: str | None = None) -> Agreement | None:
    """The newest version follows the matrix while nobody has accepted it; then N+1 starts."""
    if not project.areas.exists():
        return None
    # One writer at a time per project, so two edits never both start version N+1.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    current = snapshot(project)
    latest = project.agreements.order_by("-version").first()
    if latest is not None and latest.snapshot == current and note is None:
        return latest
    if latest is not None and not latest.acceptances.exists():
        latest.snapshot = current
        if note is not None:
            latest.note = note
        latest.save(update_fields=["snapshot", "note", "updated_at"])
        return latest
    return Agreement.objects.create(
        project=project,
        version=(latest.version + 1) if latest else 1,
        note=note or "",
        snapshot=current,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


@transaction.atomic
def set_agreement_note(actor, agreement: Agreement, note: str) -> Agreement:
    access.require(actor, agreement.project, Capability.MANAGE_TEAM)
    if agreement.acceptances.exists():
        raise ValidationError(_("An accepted version cannot change; edit the matrix instead."))
    agreement.note = note.strip()
    agreement.save(update_fields=["note", "updated_at"])
    return agreement


@transaction.atomic
def accept_agreement(actor, agreement: Agreement) -> AgreementAcceptance:
    """A team member accepts the newest version; the time stamp is the record."""
    project = agreement.project
    access.require(actor, project, Capability.VIEW_PROJECT)
    Project.objects.select_for_update().filter(pk=project.pk).first()  # serialises with edits
    agreement.refresh_from_db()
    latest = project.agreements.order_by("-version").first()
    if latest is None or latest.pk != agreement.pk:
        raise ValidationError(_("Only the newest version can be accepted."))
    member_ids = {m["user_id"] for m in agreement.snapshot["members"]}
    if actor.pk not in member_ids:
        raise PermissionDenied
    acceptance, _created = AgreementAcceptance.objects.get_or_create(
        agreement=agreement, user=actor
    )
    return acceptance


# --- stages and tasks ------------------------------------------------------------------------

STAGE_FIELDS = ("name", "purpose", "start_date", "end_date", "area", "deliverables")
TASK_FIELDS = (
    "title", "description", "stage", "area", "assignee", "due_date", "estimate_hours", "status",
)  # fmt: skip


def _check_stage(project: Project, data: dict) -> None:
    errors = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = _("Give the stage a name.")
    elif len(str(data["name"])) > Stage._meta.get_field("name").max_length:
        errors["name"] = _("At most %(n)s characters.") % {
            "n": Stage._meta.get_field("name").max_length
        }
    start, end = data.get("start_date"), data.get("end_date")
    if not isinstance(start, dt.date):
        errors["start_date"] = _("Enter the start date.")
    if not isinstance(end, dt.date):
        errors["end_date"] = _("Enter the end date.")
    elif isinstance(start, dt.date) and end < start:
        errors["end_date"] = _("The end date cannot be before the start date.")
    bounds.check_days(errors, start_date=start, end_date=end)
    area = data.get("area")
    if area is not None and area.project_id != project.pk:
        errors["area"] = _("Unknown area.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_stage(actor, project: Project, **fields) -> Stage:
    access.require(actor, project, Capability.MANAGE_PROJECT)
    data = {k: v for k, v in fields.items() if k in STAGE_FIELDS}
    _check_stage(project, data)
    last = project.stages.order_by("-order").values_list("order", flat=True).first()
    return Stage.objects.create(project=project, order=(last or 0) + 1, **data)


@transaction.atomic
def update_stage(actor, stage: Stage, **fields) -> Stage:
    access.require(actor, stage.project, Capability.MANAGE_PROJECT)
    data = {name: getattr(stage, name) for name in STAGE_FIELDS}
    data.update({k: v for k, v in fields.items() if k in STAGE_FIELDS})
    _check_stage(stage.project, data)
    for name, value in data.items():
        setattr(stage, name, value)
    stage.save()
    return stage


def _check_task(project: Project, data: dict) -> None:
    errors = {}
    if not str(data.get("title") or "").strip():
        errors["title"] = _("Give the task a title.")
    for name in ("stage", "area", "assignee"):
        related = data.get(name)
        if related is not None and related.project_id != project.pk:
            errors[name] = _("Not part of this project.")
    if data.get("status") not in TaskStatus.values:
        errors["status"] = _("Unknown status.")
    estimate = data.get("estimate_hours")
    if estimate is not None and Decimal(str(estimate)) < 0:
        errors["estimate_hours"] = _("An estimate cannot be negative.")
    elif estimate is not None:
        bounds.hours(estimate, "estimate_hours", errors)
    bounds.check_days(errors, due_date=data.get("due_date"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_task(actor, project: Project, **fields) -> Task:
    access.require(actor, project, Capability.MANAGE_PROJECT)
    data = {"status": TaskStatus.TODO, "estimate_hours": Decimal(0)}
    data.update({k: v for k, v in fields.items() if k in TASK_FIELDS and v is not None})
    _check_task(project, data)
    if data.get("area") is None and data.get("stage") is not None:
        data["area"] = data["stage"].area
    task = Task.objects.create(project=project, **data)
    if task.status == TaskStatus.DONE:
        task.completed_at = timezone.now()
        task.save(update_fields=["completed_at"])
    return task


def may_work_on(actor, task: Task) -> bool:
    """Managers change any task; the assignee moves and ticks their own (for showing buttons)."""
    granted = access.require(actor, task.project, Capability.VIEW_PROJECT)
    return _own(granted, task) or granted.can(Capability.MANAGE_PROJECT)


def _own(granted, task: Task) -> bool:
    return granted.membership is not None and task.assignee_id == granted.membership.pk


def require_work_on(actor, task: Task) -> None:
    """The assignee may work on their task; anyone else needs to manage the project."""
    granted = access.require(actor, task.project, Capability.VIEW_PROJECT)
    if not _own(granted, task):
        access.require(actor, task.project, Capability.MANAGE_PROJECT)


@transaction.atomic
def update_task(actor, task: Task, **fields) -> Task:
    """Managers change anything; the assignee may change only the status of their task."""
    granted = access.require(actor, task.project, Capability.VIEW_PROJECT)
    changes = {k: v for k, v in fields.items() if k in TASK_FIELDS}
    if not _own(granted, task) or set(changes) - {"status"}:
        access.require(actor, task.project, Capability.MANAGE_PROJECT)
    data = {name: getattr(task, name) for name in TASK_FIELDS}
    data.update(changes)
    _check_task(task.project, data)
    was_done = task.status == TaskStatus.DONE
    for name, value in data.items():
        setattr(task, name, value)
    if task.status == TaskStatus.DONE and not was_done:
        task.completed_at = timezone.now()
    elif task.status != TaskStatus.DONE:
        task.completed_at = None
    task.save()
    return task


@transaction.atomic
def delete_task(actor, task: Task) -> None:
    """Removes a task and its checklist; only someone who manages the project may."""
    access.require(actor, task.project, Capability.MANAGE_PROJECT)
    task.delete()


@transaction.atomic
def add_checklist_item(actor, task: Task, text: str) -> ChecklistItem:
    require_work_on(actor, task)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write what needs to be done.")})
    last = task.checklist.order_by("-order").values_list("order", flat=True).first()
    return ChecklistItem.objects.create(task=task, text=text[:300], order=(last or 0) + 1)


@transaction.atomic
def tick(actor, item: ChecklistItem, done: bool) -> ChecklistItem:
    """Only the person responsible for the task (or a manager) ticks its checklist."""
    require_work_on(actor, item.task)
    item.done = done
    item.done_by = actor if done else None
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_by", "done_at"])
    return item
