"""What people see of the collections: where a channel's figures come from and how fresh they
are, and the newest collection of each channel (reads only; the passes are in ``collection``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from zveno.analytics.collection import collectable
from zveno.analytics.models import READ_STATUSES, Collection, CollectionStatus
from zveno.publishing.models import Channel
from zveno.workspaces.models import Project


def latest_by_channel(project: Project) -> dict[int, Collection]:
    """The newest collection row of each channel of a project (one query)."""
    newest = (
        Collection.objects.filter(channel=OuterRef("channel"))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    rows = Collection.objects.filter(project=project, pk=Subquery(newest))
    return {row.channel_id: row for row in rows}


def freshness(channel: Channel, row: Collection | None, now: dt.datetime | None = None) -> dict:
    """What a channel's page says about where its figures come from and how fresh they are."""
    now = now or timezone.now()
    network = channel.get_network_display()
    if row is None:
        if not collectable(channel):
            return {"state": "manual", "text": _("Figures come from imports and typing.")}
        return {"state": "never", "text": _("Not collected from %(network)s yet.") % {
            "network": network}}  # fmt: skip
    at = row.finished_at or row.started_at
    ago = timesince(at, now, depth=1) if (now - at).total_seconds() >= 60 else ""
    out = {"state": row.status, "note": row.note, "at": at}
    names = {"network": network, "ago": ago}
    if row.status in READ_STATUSES:
        out["text"] = (
            _("Collected from %(network)s %(ago)s ago") % names
            if ago
            else _("Collected from %(network)s just now") % names
        )
        out["message"] = row.message  # partly: what was missing
    elif row.status == CollectionStatus.UNSUPPORTED:
        out["text"] = _("Figures come from imports and typing.")
    elif row.status == CollectionStatus.NOT_CONNECTED:
        out["text"] = row.message
    else:
        out["text"] = _("Not collected from %(network)s") % names
        out["message"] = row.message
    return out


def as_dict(row: Collection) -> dict:
    """A collection row for the API."""
    return {
        "channel_id": row.channel_id, "status": row.status,
        "started_at": row.started_at, "finished_at": row.finished_at, "trigger": row.trigger,
        "picked_up": row.picked_up, "matched": row.matched, "snapshots": row.snapshots,
        "days": row.days, "requests": row.requests, "message": row.message, "note": row.note,
    }  # fmt: skip
