"""API: analytics goals — list with progress and state, create, edit, activate, delete."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from zveno.analytics import goals as goal_metrics
from zveno.analytics.models import BaselineMode, GoalKind, GoalStatus
from zveno.analytics.services import goals as goal_services
from zveno.core.bounds import Amount, Day, Id
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["analytics"])


class GoalOut(Schema):
    id: int
    name: str
    metric: str
    kind: GoalKind
    target: float
    window_days: int
    starts_on: dt.date | None
    baseline_mode: BaselineMode
    status: GoalStatus
    state: str = Field(description="no_data, on_track, at_risk, reached or missed")
    baseline: float | None
    current: float | None
    target_value: float | None = Field(description="The value that counts as reached")
    progress: float | None = Field(
        description="0..1 and beyond; (current − baseline) / "
        "(target value − baseline), or current / target"
    )
    forecast: float | None = Field(description="The current pace carried to the window's end")
    window_start: dt.date
    window_end: dt.date
    baseline_start: dt.date
    baseline_end: dt.date
    reached_at: dt.datetime | None
    formula: str | None = Field(description="Key of the formula the figure shows, if any")


class GoalIn(Schema):
    """Required: name, metric, kind, target, window_days (checked after the access check, so a
    stranger learns nothing from the shape of the answer)."""

    name: str | None = None
    metric: str | None = None
    kind: str | None = None
    target: Amount | None = None
    window_days: Annotated[int, Field(ge=1, le=3660)] | None = None
    starts_on: Day | None = None
    baseline_mode: str = BaselineMode.COMPUTED
    baseline_value: Amount | None = None
    activate: bool = Field(False, description="Activate right away")


class GoalPatch(Schema):
    name: str | None = None
    metric: str | None = None
    kind: str | None = None
    target: Amount | None = None
    window_days: Annotated[int, Field(ge=1, le=3660)] | None = None
    starts_on: Day | None = None
    baseline_mode: str | None = None
    baseline_value: Amount | None = None


class ActivateIn(Schema):
    starts_on: Day | None = None


def _out(goal, ev=None) -> dict:
    ev = ev or goal_metrics.evaluate(goal)
    metric = goal_metrics.METRICS.get(goal.metric)
    return {
        "id": goal.pk,
        "name": goal.name,
        "metric": goal.metric,
        "kind": goal.kind,
        "target": float(goal.target),
        "window_days": goal.window_days,
        "starts_on": goal.starts_on,
        "baseline_mode": goal.baseline_mode,
        "status": goal.status,
        "state": ev.state,
        "baseline": ev.baseline,
        "current": ev.current,
        "target_value": ev.target_value,
        "progress": ev.progress,
        "forecast": ev.forecast,
        "window_start": ev.window_start,
        "window_end": ev.window_end,
        "baseline_start": ev.baseline_start,
        "baseline_end": ev.baseline_end,
        "reached_at": goal.reached_at,
        "formula": metric.formula if metric else None,
    }


def _goal(project, goal_id: Id):
    return get_object_or_404(project.goals.select_related("project"), pk=goal_id)


@router.get("/projects/{slug}/goals", response=list[GoalOut])
def list_goals(request, slug: str):
    """Every goal of the project (drafts too) with a fresh evaluation."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    return [_out(goal) for goal in project.goals.select_related("project")]


@router.post("/projects/{slug}/goals", response={201: GoalOut})
def create_goal(request, slug: str, payload: GoalIn):
    project = access.project_for(request.auth, slug, Capability.MANAGE_ANALYTICS)
    goal = goal_services.create_goal(request.auth, project, **payload.dict())
    goal.refresh_from_db()
    return Status(201, _out(goal))


@router.get("/projects/{slug}/goals/{goal_id}", response=GoalOut)
def get_goal(request, slug: str, goal_id: Id):
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    return _out(_goal(project, goal_id))


@router.patch("/projects/{slug}/goals/{goal_id}", response=GoalOut)
def patch_goal(request, slug: str, goal_id: Id, payload: GoalPatch):
    project = access.project_for(request.auth, slug, Capability.MANAGE_ANALYTICS)
    goal = goal_services.update_goal(
        request.auth, _goal(project, goal_id), **payload.dict(exclude_unset=True)
    )
    goal.refresh_from_db()
    return _out(goal)


@router.delete("/projects/{slug}/goals/{goal_id}", response={204: None})
def delete_goal(request, slug: str, goal_id: Id):
    project = access.project_for(request.auth, slug, Capability.MANAGE_ANALYTICS)
    goal_services.delete_goal(request.auth, _goal(project, goal_id))
    return Status(204, None)


@router.post("/projects/{slug}/goals/{goal_id}/activate", response=GoalOut)
def activate_goal(request, slug: str, goal_id: Id, payload: ActivateIn | None = None):
    project = access.project_for(request.auth, slug, Capability.MANAGE_ANALYTICS)
    starts_on = payload.starts_on if payload else None
    goal = goal_services.activate_goal(request.auth, _goal(project, goal_id), starts_on)
    goal.refresh_from_db()
    return _out(goal)
