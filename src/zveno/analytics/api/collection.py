"""API: figures collected from the networks — the last pass per channel, and "collect now"."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status

from zveno.analytics import collection, freshness
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["analytics"])


class CollectionOut(Schema):
    channel_id: int
    status: str = Field(description="ok, partial, failed, not_connected or unsupported")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    trigger: str = Field(description="schedule, manual or command")
    picked_up: int = Field(description="Posts seen on the network for the first time")
    matched: int = Field(description="Of those, matched to a publication of the plan")
    snapshots: int
    days: int
    requests: int
    message: str = Field(description="Why the figures were not (all) collected, for people")
    note: str = Field(description="What this network never gives (e.g. Telegram's views)")


class QueuedOut(Schema):
    queued: bool


@router.get("/projects/{slug}/collections", response=list[CollectionOut])
def list_collections(request, slug: str):
    """The newest collection of each channel of the project."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    latest = freshness.latest_by_channel(project)
    return [freshness.as_dict(row) for _pk, row in sorted(latest.items())]


@router.post("/projects/{slug}/collect", response={202: QueuedOut})
def collect_now(request, slug: str):
    """Queue a pass over every channel of the project now; read the result from
    ``/collections``."""
    project = access.project_for(request.auth, slug, Capability.MANAGE_ANALYTICS)
    collection.request_now(project)
    return Status(202, {"queued": True})
