"""REST endpoints of a project's channels.

``DELETE`` removes a channel nothing refers to (204). A channel with publications or analytics
figures is never deleted: the answer is 409 ``conflict`` and the channel stays as it was —
deactivate it with ``PATCH {"is_active": false}``. The channels page behaves the same way.

``PATCH`` also connects a channel for publishing: ``credentials`` is write-only
(``{"bot_token": "…"}`` for Telegram and MAX, ``{"access_token": "…"}`` for VK; ``{}``
disconnects) and no answer ever carries it back, only ``connected`` and a hint of its last
characters. ``POST …/channels/{id}/test`` asks the network and answers the connection state.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from zveno.core.api import ErrorOut
from zveno.core.bounds import Id
from zveno.publishing import services
from zveno.publishing.models import Channel, Network
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["channels"])


class SlotIn(Schema):
    weekday: int = Field(ge=0, le=6, description="0 Monday … 6 Sunday")
    time: str = Field(description="HH:MM in the project's time zone")


class ChannelOut(Schema):
    id: int
    network: str
    network_label: str
    name: str
    handle: str = Field(description="Handle or address")
    cadence: dict = Field(description="Units a week by format; empty: the playbook's")
    slots: list[dict] = Field(description='[{"weekday": 0-6, "time": "HH:MM"}], project time')
    is_active: bool
    publications: int = Field(description="How many publications use the channel")
    connected: bool = Field(description="Credentials are stored (they are never returned)")
    credentials_hint: str = Field(description="The stored token's last characters")
    connection: str = Field(description="unknown | ok | needs_reconnect | error")
    connection_checked_at: dt.datetime | None
    connection_result: dict = Field(description="The last test: title, members, reason, …")
    created_at: dt.datetime


class ChannelIn(Schema):
    # Checked by the service (422), after the access check: outsiders get 404 first.
    network: str = Field("", description=", ".join(Network.values))
    name: str = Field("", max_length=120, description="Empty: the network's name")
    handle: str = Field("", max_length=200)
    cadence: dict[str, Annotated[float, Field(ge=0, le=1000)]] = {}
    slots: list[SlotIn] = []
    is_active: bool = True


class ChannelPatch(Schema):
    network: Network | None = None
    name: str | None = Field(None, max_length=120)
    handle: str | None = Field(None, max_length=200)
    cadence: dict[str, Annotated[float, Field(ge=0, le=1000)]] | None = None
    slots: list[SlotIn] | None = None
    is_active: bool | None = None
    credentials: dict[str, str] | None = Field(
        None, description='Write-only: {"bot_token": …} (Telegram, MAX), {"access_token": …} (VK)'
    )


def channels_of(project):
    return project.channels.annotate(publication_count=Count("publications"))


def channel_out(channel: Channel) -> dict:
    return {
        "id": channel.pk,
        "network": channel.network,
        "network_label": str(channel.get_network_display()),
        "name": channel.name,
        "handle": channel.handle,
        "cadence": channel.cadence or {},
        "slots": channel.slots or [],
        "is_active": channel.is_active,
        "publications": getattr(channel, "publication_count", 0),
        "connected": channel.is_connected,
        "credentials_hint": channel.credentials_hint,
        "connection": channel.connection,
        "connection_checked_at": channel.connection_checked_at,
        "connection_result": channel.connection_result or {},
        "created_at": channel.created_at,
    }


def _fresh(project, channel_id: Id) -> dict:
    return channel_out(get_object_or_404(channels_of(project), pk=channel_id))


def _fields(payload: Schema, exclude_unset: bool) -> dict:
    data = payload.dict(exclude_unset=exclude_unset)
    if data.get("slots") is not None:
        data["slots"] = [dict(s) for s in data["slots"]]
    if "network" in data and data["network"] is not None:
        data["network"] = str(data["network"])
    return data


@router.get("/projects/{slug}/channels", response=list[ChannelOut])
def list_channels(request, slug: str):
    project = access.project_for(request.auth, slug)
    return [channel_out(c) for c in channels_of(project)]


@router.post("/projects/{slug}/channels", response={201: ChannelOut})
def create_channel(request, slug: str, payload: ChannelIn):
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    data = _fields(payload, exclude_unset=False)
    channel = services.add_channel(
        request.auth, project, data.pop("network"), data.pop("name"), data.pop("handle"), **data
    )
    return Status(201, _fresh(project, channel.pk))


@router.get("/projects/{slug}/channels/{channel_id}", response=ChannelOut)
def get_channel(request, slug: str, channel_id: Id):
    return _fresh(access.project_for(request.auth, slug), channel_id)


@router.patch("/projects/{slug}/channels/{channel_id}", response=ChannelOut)
def patch_channel(request, slug: str, channel_id: Id, payload: ChannelPatch):
    """Changes a channel; ``{"is_active": false}`` deactivates it (its history stays)."""
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    fields = {k: v for k, v in _fields(payload, exclude_unset=True).items() if v is not None}
    credentials = fields.pop("credentials", None)
    with transaction.atomic():
        if fields:
            services.update_channel(request.auth, channel, **fields)
        if credentials is not None:
            services.connect_channel(request.auth, channel, credentials)
    return _fresh(project, channel_id)


@router.post("/projects/{slug}/channels/{channel_id}/test", response=ChannelOut)
def test_channel(request, slug: str, channel_id: Id):
    """Asks the network whether Zveno can publish here; the answer is kept on the channel."""
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    services.test_connection(request.auth, channel)
    return _fresh(project, channel_id)


@router.delete("/projects/{slug}/channels/{channel_id}", response={204: None, 409: ErrorOut})
def delete_channel(request, slug: str, channel_id: Id):
    """Deletes an unused channel; 409 for one with publications or figures (deactivate it)."""
    project = access.project_for(request.auth, slug, need=Capability.MANAGE_PROJECT)
    channel = get_object_or_404(project.channels, pk=channel_id)
    try:
        services.remove_channel(request.auth, channel)
    except services.ChannelInUse as exc:
        raise HttpError(409, " ".join(exc.messages)) from None
    return Status(204, None)
