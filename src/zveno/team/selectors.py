"""Reads of the team app: the matrix grid, stages and tasks, always for one visible project."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from zveno.team.models import Area, Assignment, Stage, Task, TaskStatus
from zveno.workspaces.models import Project, ProjectMembership


@dataclass
class MatrixRow:
    area: Area
    cells: list[tuple[ProjectMembership, Assignment | None]]
    accountable: int = 0
    responsible: int = 0


@dataclass
class Matrix:
    members: list[ProjectMembership]
    rows: list[MatrixRow] = field(default_factory=list)


def matrix(project: Project) -> Matrix:
    """Areas × members with their cells, in three queries."""
    members = list(project.memberships.select_related("user").order_by("joined_at", "pk"))
    cells = {
        (a.area_id, a.membership_id): a for a in Assignment.objects.filter(area__project=project)
    }
    grid = Matrix(members=members)
    for area in project.areas.all():
        row = MatrixRow(area, [(m, cells.get((area.pk, m.pk))) for m in members])
        for _member, cell in row.cells:
            if cell is not None:
                row.accountable += "A" in cell.letters
                row.responsible += "R" in cell.letters
        grid.rows.append(row)
    return grid


def stages(project: Project) -> QuerySet[Stage]:
    return project.stages.select_related("area").annotate(
        task_count=Count("tasks"),
        done_count=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE)),
    )


@dataclass
class StageView:
    stage: Stage
    state: str  # "done", "current", "late", "upcoming"
    progress: int  # percent of tasks done


def timeline(project: Project, today: dt.date) -> list[StageView]:
    """Stages with their state: current (today within), late (past with open tasks), …"""
    views = []
    for stage in stages(project):
        total, done = stage.task_count, stage.done_count
        progress = round(100 * done / total) if total else 100
        if total and done == total:
            state = "done"
        elif stage.end_date < today:
            state = "late" if done < total else "done"
        elif stage.start_date <= today:
            state = "current"
        else:
            state = "upcoming"
        views.append(StageView(stage, state, progress))
    return views


def tasks(project: Project) -> QuerySet[Task]:
    return project.tasks.select_related("stage", "area", "assignee__user").prefetch_related(
        Prefetch("checklist")
    )
