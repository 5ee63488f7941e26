"""REST endpoints of the team app: the matrix, stages and tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from zveno.core.bounds import Day, Hours, Id
from zveno.core.timezones import today_in
from zveno.team import selectors, services
from zveno.team.models import TaskStatus
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["team"])


class MatrixMember(Schema):
    id: int = Field(description="Membership id (the key of a cell).")
    name: str
    roles: list[str]


class MatrixArea(Schema):
    code: str
    name: dict[str, str]
    cells: dict[str, str] = Field(description="{membership id: letters such as 'R' or 'AR'}")


class MatrixOut(Schema):
    members: list[MatrixMember]
    areas: list[MatrixArea]
    agreement_version: int | None


class MatrixIn(Schema):
    cells: dict[str, dict[str, str]] = Field(
        description="{area code: {membership id: letters}}; the whole matrix is replaced."
    )


def _matrix_out(project) -> dict:
    grid = selectors.matrix(project)
    latest = project.agreements.order_by("-version").values_list("version", flat=True).first()
    return {
        "members": [
            {"id": m.pk, "name": m.user.display_name, "roles": m.roles} for m in grid.members
        ],
        "areas": [
            {
                "code": row.area.code,
                "name": {"ru": row.area.name_ru, "en": row.area.name_en},
                "cells": {str(m.pk): cell.letters for m, cell in row.cells if cell is not None},
            }
            for row in grid.rows
        ],
        "agreement_version": latest,
    }


@router.get("/projects/{slug}/matrix", response=MatrixOut)
def get_matrix(request, slug: str):
    return _matrix_out(access.project_for(request.auth, slug))


@router.put("/projects/{slug}/matrix", response=MatrixOut)
def put_matrix(request, slug: str, payload: MatrixIn):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_TEAM)
    cells = {
        code: {int(mid): v for mid, v in row.items() if mid.isdigit()}
        for code, row in payload.cells.items()
    }
    services.replace_matrix(request.auth, project, cells)
    return _matrix_out(project)


class StageOut(Schema):
    id: int
    code: str
    name: str
    purpose: str
    area: str | None
    start_date: dt.date
    end_date: dt.date
    deliverables: list[str]
    state: str
    progress: int


class StageIn(Schema):
    name: str
    purpose: str = ""
    start_date: Day
    end_date: Day
    area: str | None = Field(None, description="Area code")


class StagePatch(Schema):
    name: str | None = None
    purpose: str = None  # omitted: unchanged; null is refused
    start_date: Day | None = None
    end_date: Day | None = None
    area: str | None = None


def _area(project, code):
    if code is None:
        return None
    return get_object_or_404(project.areas, code=code)


def _stages_out(project, stage_id=None) -> list[dict]:
    return [
        {
            "id": v.stage.pk,
            "code": v.stage.code,
            "name": v.stage.name,
            "purpose": v.stage.purpose,
            "area": v.stage.area.code if v.stage.area else None,
            "start_date": v.stage.start_date,
            "end_date": v.stage.end_date,
            "deliverables": v.stage.deliverables,
            "state": v.state,
            "progress": v.progress,
        }
        for v in selectors.timeline(project, today_in(project.timezone))
        if stage_id is None or v.stage.pk == stage_id
    ]


@router.get("/projects/{slug}/stages", response=list[StageOut])
def list_stages(request, slug: str):
    return _stages_out(access.project_for(request.auth, slug))


@router.post("/projects/{slug}/stages", response={201: StageOut})
def create_stage(request, slug: str, payload: StageIn):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    data = payload.dict()
    data["area"] = _area(project, data.pop("area"))
    stage = services.create_stage(request.auth, project, **data)
    return Status(201, _stages_out(project, stage.pk)[0])


@router.patch("/projects/{slug}/stages/{stage_id}", response=StageOut)
def patch_stage(request, slug: str, stage_id: Id, payload: StagePatch):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    stage = get_object_or_404(project.stages, pk=stage_id)
    data = payload.dict(exclude_unset=True)
    if "area" in data:
        data["area"] = _area(project, data["area"])
    services.update_stage(request.auth, stage, **data)
    return _stages_out(project, stage.pk)[0]


class TaskOut(Schema):
    id: int
    title: str
    description: str
    stage_id: int | None
    area: str | None
    assignee_id: int | None = Field(description="Membership id")
    assignee: str | None
    due_date: dt.date | None
    estimate_hours: Decimal
    status: TaskStatus
    checklist: list[dict]


class TaskIn(Schema):
    title: str
    description: str = ""
    stage_id: Id | None = None
    area: str | None = None
    assignee_id: Id | None = None
    due_date: Day | None = None
    estimate_hours: Hours = Decimal(0)
    status: TaskStatus = TaskStatus.TODO


class TaskPatch(Schema):
    title: str | None = None
    description: str = None  # omitted: unchanged; null is refused
    stage_id: Id | None = None
    area: str | None = None
    assignee_id: Id | None = None
    due_date: Day | None = None
    estimate_hours: Hours = None  # omitted: unchanged; null is refused
    status: TaskStatus | None = None


def _task_out(task) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "description": task.description,
        "stage_id": task.stage_id,
        "area": task.area.code if task.area else None,
        "assignee_id": task.assignee_id,
        "assignee": task.assignee.user.display_name if task.assignee else None,
        "due_date": task.due_date,
        "estimate_hours": task.estimate_hours,
        "status": task.status,
        "checklist": [{"id": i.pk, "text": i.text, "done": i.done} for i in task.checklist.all()],
    }


def _task_fields(project, data: dict) -> dict:
    out = dict(data)
    if "stage_id" in out:
        sid = out.pop("stage_id")
        out["stage"] = get_object_or_404(project.stages, pk=sid) if sid else None
    if "assignee_id" in out:
        mid = out.pop("assignee_id")
        out["assignee"] = get_object_or_404(project.memberships, pk=mid) if mid else None
    if "area" in out:
        out["area"] = _area(project, out["area"])
    return out


@router.get("/projects/{slug}/tasks", response=list[TaskOut])
def list_tasks(request, slug: str, status: TaskStatus | None = None, stage_id: Id | None = None):
    project = access.project_for(request.auth, slug)
    tasks = selectors.tasks(project)
    if status:
        tasks = tasks.filter(status=status)
    if stage_id:
        tasks = tasks.filter(stage_id=stage_id)
    return [_task_out(t) for t in tasks]


@router.post("/projects/{slug}/tasks", response={201: TaskOut})
def create_task(request, slug: str, payload: TaskIn):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    task = services.create_task(request.auth, project, **_task_fields(project, payload.dict()))
    return Status(201, _task_out(task))


@router.patch("/projects/{slug}/tasks/{task_id}", response=TaskOut)
def patch_task(request, slug: str, task_id: Id, payload: TaskPatch):
    """Managers change anything; the assignee may move their own task's status."""
    project = access.project_for(request.auth, slug)
    task = get_object_or_404(selectors.tasks(project), pk=task_id)
    data = _task_fields(project, payload.dict(exclude_unset=True))
    task = services.update_task(request.auth, task, **data)
    return _task_out(task)


@router.delete("/projects/{slug}/tasks/{task_id}", response={204: None})
def delete_task(request, slug: str, task_id: Id):
    """Removes a task and its checklist (managers of the project only)."""
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    services.delete_task(request.auth, get_object_or_404(selectors.tasks(project), pk=task_id))
    return Status(204, None)
