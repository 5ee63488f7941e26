"""REST endpoints of a publication's delivery: publish now, retry, confirm a check, mark published,
cancel, delete the post from the network, and the delivery log.

Each answers the publication with its delivery state and attempts. ``publish`` queues an
approved item's publication to go out now (422 with the reason otherwise) and answers 202: the
worker sends it within seconds, and its ``status`` reads ``sending`` until the answer settles it
(published, or failed with ``last_error``); ``retry`` does the same for a failed, held or
cancelled one; ``confirm`` is a person's answer to "needs a check" (``{"went_out": true}``: it
is published; ``false``: it is queued to go again, 202). PUBLISH is needed to act; anybody on the
project reads the log.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from zveno.content import selectors
from zveno.content.models import Publication
from zveno.publishing import delivery
from zveno.publishing import services as publishing
from zveno.publishing.models import Dispatch
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["publishing"])


class AttemptOut(Schema):
    id: int
    kind: str = Field(description="publish, reconcile, edit, delete, confirm")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_ms: int | None
    outcome: str = Field(description="published, rate_limited, auth_lost, rejected, transient, "
                         "unknown, not_found; empty: no answer known")  # fmt: skip
    request: dict = Field(description="What was asked, without secrets")
    response: str
    reason: str


class DeliveryOut(Schema):
    state: str
    due_at: dt.datetime | None
    next_try_at: dt.datetime | None
    hold_reason: str
    reason: str


class PublicationDeliveryOut(Schema):
    id: int
    channel_id: int
    network: str
    status: str
    url: str
    external_id: str
    last_error: str
    published_at: dt.datetime | None
    delivery: DeliveryOut | None
    attempts: list[AttemptOut]


class ConfirmIn(Schema):
    went_out: bool = Field(description="true: it is on the channel; false: send it again")
    url: str = Field("", max_length=1000, description="The post's link, if known")


class MarkIn(Schema):
    url: str = Field("", max_length=1000)


def attempt_out(a) -> dict:
    return {
        "id": a.pk, "kind": a.kind, "started_at": a.started_at, "finished_at": a.finished_at,
        "duration_ms": a.duration_ms, "outcome": a.outcome, "request": a.request or {},
        "response": a.response, "reason": a.reason,
    }  # fmt: skip


def publication_out(publication: Publication) -> dict:
    publication = Publication.objects.select_related("channel").get(pk=publication.pk)
    d = selectors.deliveries([publication.pk]).get(publication.pk)
    return {
        "id": publication.pk, "channel_id": publication.channel_id,
        "network": publication.channel.network,
        "status": selectors.publication_status(publication, d),
        "url": publication.url or getattr(d, "url", ""),
        "external_id": getattr(d, "external_id", ""), "last_error": getattr(d, "reason", ""),
        "published_at": publication.published_at,
        "delivery": None if d is None else {
            "state": d.state, "due_at": d.due_at, "next_try_at": d.next_try_at,
            "hold_reason": d.hold_reason, "reason": d.reason,
        },
        "attempts": [attempt_out(a) for a in d.attempts.all()] if d else [],
    }  # fmt: skip


def _publication(request, slug: str, item_id: int, publication_id: int, need=None):
    project = access.project_for(request.auth, slug, need=need or Capability.VIEW_PROJECT)
    item = get_object_or_404(selectors.items(project), pk=item_id)
    return get_object_or_404(item.publications.select_related("channel"), pk=publication_id)


def _dispatch(publication: Publication) -> Dispatch:
    delivery.sync()
    return publishing.dispatch_for(publication.pk, publication.channel)


BASE = "/projects/{slug}/items/{item_id}/publications/{publication_id}"


@router.post(f"{BASE}/publish", response={202: PublicationDeliveryOut})
def publish(request, slug: str, item_id: int, publication_id: int):
    """Queues it to go out now (an approved item only): 202 with its state, ``sending`` until
    the worker's answer settles it; read it again (GET the item or ``…/attempts``) to follow."""
    publication = _publication(request, slug, item_id, publication_id, Capability.PUBLISH)
    publishing.publish_now(request.auth, _dispatch(publication))
    return Status(202, publication_out(publication))


@router.post(f"{BASE}/retry", response={202: PublicationDeliveryOut})
def retry(request, slug: str, item_id: int, publication_id: int):
    """Queues a failed, held (missed, or its channel reconnected) or cancelled one to go out
    again now: 202 with its state, as ``publish``."""
    publication = _publication(request, slug, item_id, publication_id, Capability.PUBLISH)
    publishing.retry(request.auth, _dispatch(publication))
    return Status(202, publication_out(publication))


@router.post(f"{BASE}/confirm", response={200: PublicationDeliveryOut, 202: PublicationDeliveryOut})
def confirm(request, slug: str, item_id: int, publication_id: int, payload: ConfirmIn):
    """The answer to "needs a check": it went out (200, published), or send it again (202,
    queued as ``publish``)."""
    publication = _publication(request, slug, item_id, publication_id, Capability.PUBLISH)
    publishing.confirm(request.auth, _dispatch(publication), payload.went_out, payload.url)
    return Status(200 if payload.went_out else 202, publication_out(publication))


@router.post(f"{BASE}/mark-published", response=PublicationDeliveryOut)
def mark_published(request, slug: str, item_id: int, publication_id: int, payload: MarkIn):
    """It went out by other means: keep its link, send nothing."""
    publication = _publication(request, slug, item_id, publication_id, Capability.PUBLISH)
    publishing.mark_published(request.auth, _dispatch(publication), payload.url)
    return publication_out(publication)


@router.post(f"{BASE}/cancel", response=PublicationDeliveryOut)
def cancel(request, slug: str, item_id: int, publication_id: int):
    publication = _publication(request, slug, item_id, publication_id, Capability.PUBLISH)
    publishing.cancel_dispatch(request.auth, _dispatch(publication))
    return publication_out(publication)


@router.delete(f"{BASE}/post", response=PublicationDeliveryOut)
def delete_post(request, slug: str, item_id: int, publication_id: int):
    """Deletes the published post from the network (the publication may be sent again)."""
    publication = _publication(request, slug, item_id, publication_id, Capability.PUBLISH)
    dispatch = Dispatch.objects.filter(ref=publication.pk).first()
    if dispatch is None:
        raise ValidationError(_("Only a post Zveno published can be changed on the network."))
    publishing.delete_sent(request.auth, dispatch)
    return publication_out(publication)


@router.get(f"{BASE}/attempts", response=list[AttemptOut])
def attempts(request, slug: str, item_id: int, publication_id: int):
    """The delivery log: every request with its time, summary, answer and duration."""
    publication = _publication(request, slug, item_id, publication_id)
    d = Dispatch.objects.filter(ref=publication.pk).first()
    return [attempt_out(a) for a in d.attempts.all()] if d else []
