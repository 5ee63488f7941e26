"""REST endpoints for playbooks: the built-in ones and those of the caller's workspaces."""

from __future__ import annotations

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from zveno.core.api import ErrorOut
from zveno.playbooks import loader, selectors
from zveno.workspaces import access

router = Router(tags=["playbooks"])

Number = int | float  # units a week and hours keep the form they were written in


class TextOut(Schema):
    ru: str
    en: str


class PlaybookSummary(Schema):
    key: str
    name: TextOut
    goal_type: str
    builtin: bool
    workspace: str | None = Field(description="Slug of the workspace owning a custom playbook.")
    based_on: str | None = Field(description="Key of the playbook a custom one was cloned from.")
    stages: int = Field(description="Number of stages.")
    duration_days: int = Field(description="Total duration of the stages.")


class AreaOut(Schema):
    code: str
    name: TextOut
    description: TextOut
    raci: dict[str, str] = Field(description="Default letter (R, A, C, I) per job role.")


class PlaybookStageOut(Schema):
    code: str
    name: TextOut
    purpose: TextOut
    duration_days: int
    area: str
    checklist: list[TextOut]
    deliverables: list[TextOut]


class TeamScopeOut(Schema):
    min_networks: int
    max_networks: int | None
    cadence: str
    roles: dict[str, int]
    note: TextOut


class RubricOut(Schema):
    code: str
    name: TextOut
    share: int


class NetworkPlanOut(Schema):
    network: str
    formats: dict[str, Number] = Field(description="Units a week per format, medium cadence.")


class KpiOut(Schema):
    metric: str
    kind: str
    value: Number
    window_days: int
    name: TextOut


class PlaybookOut(Schema):
    """The document in the format of the data files, plus where it comes from."""

    key: str
    version: int
    name: TextOut
    summary: TextOut
    goal_type: str
    areas: list[AreaOut]
    stages: list[PlaybookStageOut]
    team: list[TeamScopeOut]
    content_mix: list[RubricOut]
    networks: list[NetworkPlanOut]
    kpis: list[KpiOut]
    effort: dict[str, dict[str, Number]] = Field(description="Hours per unit: format -> role.")
    builtin: bool
    workspace: str | None
    based_on: str | None


def _origin(found: selectors.Available) -> dict:
    custom = found.custom
    return {
        "builtin": custom is None,
        "workspace": custom.workspace.slug if custom else None,
        "based_on": (custom.based_on or None) if custom else None,
    }


def _listing_order(item: selectors.Available) -> tuple:
    """Built-ins first in their fixed order, then custom ones by key and workspace."""
    if item.custom is None:
        return (0, "", "")
    return (1, item.key, item.custom.workspace.slug)


@router.get("/playbooks", response=list[PlaybookSummary])
def list_playbooks(request):
    """Built-in playbooks first, then the custom ones of every workspace the caller belongs to."""
    workspaces = access.workspaces_for(request.auth).order_by("slug")
    found = selectors.available(workspaces)
    found.sort(key=_listing_order)
    return [
        {
            "key": item.key,
            "name": {"ru": item.playbook.name.ru, "en": item.playbook.name.en},
            "goal_type": item.playbook.goal_type,
            "stages": len(item.playbook.stages),
            "duration_days": item.playbook.total_duration_days,
            **_origin(item),
        }
        for item in found
    ]


@router.get("/playbooks/{key}", response={200: PlaybookOut, 409: ErrorOut})
def get_playbook(request, key: str, workspace: str | None = None):
    """One playbook. A custom key held by several of your workspaces needs ``?workspace=<slug>``."""
    if workspace:
        workspaces = [access.workspace_for(request.auth, workspace)]
    else:
        workspaces = list(access.workspaces_for(request.auth).order_by("slug"))
    found = _resolve(workspaces, key)
    return {**found.playbook.to_dict(), **_origin(found)}


def _resolve(workspaces, key: str) -> selectors.Available:
    custom = [
        item
        for ws in workspaces
        if (item := selectors.resolve(ws, key)) is not None and item.custom is not None
    ]
    if len(custom) > 1:
        message = "Several of your workspaces have this playbook; add ?workspace=<slug>."
        raise HttpError(409, message)
    if custom:
        return custom[0]
    playbook = loader.load_builtin().get(key)
    if playbook is None:
        raise Http404
    return selectors.Available(key, playbook, None)
