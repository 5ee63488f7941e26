"""The content plan's part in delivery: it fills the scheduler's seams (publishing.delivery).

- ``due``: publications of approved (or scheduled) items on channels Zveno publishes to, with
  their time; the scheduler keeps a dispatch for each.
- ``content``: a publication as the connector's `Post`, read again just before sending, so an
  item that went back through approval (or lost its erid) does not go out.
- ``delivered``: the dispatch's state mirrored on the publication (status, link, time); an item
  whose every publication went out is published.
- ``audience``: the item's SMM (the reviewer, else the project's SMMs) and the project lead.
"""

from __future__ import annotations

import mimetypes

from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.content.models import (
    Activity,
    ContentItem,
    MediaKind,
    Publication,
    PublicationStatus,
    State,
    StepKind,
)
from zveno.core import updates
from zveno.publishing import delivery
from zveno.publishing.connectors.base import MediaFile, Post, registered_networks
from zveno.publishing.models import Dispatch, DispatchState
from zveno.team import summary as team_summary
from zveno.workspaces.roles import JobRole

SENDABLE = (State.APPROVED, State.SCHEDULED)


def due():
    rows = (
        Publication.objects.filter(
            item__state__in=SENDABLE, channel__is_active=True,
            channel__network__in=registered_networks(),
        )
        .exclude(status=PublicationStatus.PUBLISHED)
        .exclude(channel__credentials="")  # not connected: marked published by hand
        .annotate(when=Coalesce("planned_at", "item__planned_at"))
        .filter(when__isnull=False)
        .values_list("pk", "channel_id", "when")
    )  # fmt: skip
    return [delivery.Wanted(pk, channel_id, when) for pk, channel_id, when in rows]


def _media(item: ContentItem) -> list[MediaFile]:
    files = []
    for media in item.media.all():
        name = media.file.name.rsplit("/", 1)[-1]
        kind = {MediaKind.IMAGE: "photo", MediaKind.VIDEO: "video"}.get(media.kind, "document")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            size = media.file.size
        except OSError:
            size = 0

        def read(media=media) -> bytes:
            with media.file.open("rb") as handle:
                return handle.read()

        files.append(MediaFile(name, content_type, size, kind, read))
    return files


def content(dispatch: Dispatch):
    publication = (
        Publication.objects.select_related("item", "channel").filter(pk=dispatch.ref).first()
    )
    return _content_of(publication, dispatch)


def contents(dispatches: list[Dispatch]) -> dict:
    """`content` for a batch, by dispatch: the publications, items and media in three reads."""
    publications = (
        Publication.objects.select_related("item", "channel").prefetch_related("item__media")
        .in_bulk([d.ref for d in dispatches])
    )  # fmt: skip
    return {d.pk: _content_of(publications.get(d.ref), d) for d in dispatches}


content.many = contents


def _content_of(publication: Publication | None, dispatch: Dispatch):
    if publication is None:
        return None
    item = publication.item
    if publication.status == PublicationStatus.PUBLISHED:
        return delivery.Refusal(_("Marked published by hand."), DispatchState.CANCELLED)
    if item.state not in SENDABLE:
        return delivery.Refusal(_("The item is not approved (any more): it waits for approval."))
    if item.is_ad and not item.erid.strip():
        return delivery.Refusal(
            _("An advertising item cannot be published without an erid."), DispatchState.FAILED
        )
    return as_post(publication, dispatch.guid)


def as_post(publication: Publication, guid: str) -> Post:
    """The publication as it goes out: its text (the item's link appended), the item's media."""
    item = publication.item
    text = publication.effective_text
    if item.link and item.link not in text:
        text = f"{text.rstrip()}\n\n{item.link}".strip()
    return Post(
        text=text, media=_media(item), guid=guid, is_ad=item.is_ad,
        erid=item.erid.strip(), planned_at=publication.effective_planned_at,
    )  # fmt: skip


def delivered_many(dispatches: list[Dispatch]) -> None:
    """`delivered` for a batch: what went out mirrored in a few statements, the rest one by one."""
    S = DispatchState
    went = [d for d in dispatches if d.state in (S.PUBLISHED, S.LATE)]
    for dispatch in dispatches:
        if dispatch.state not in (S.PUBLISHED, S.LATE):
            delivered(dispatch)
    publications = Publication.objects.select_related("item").in_bulk([d.ref for d in went])
    now = timezone.now()
    changed, activities = [], []
    for dispatch in went:
        publication = publications.get(dispatch.ref)
        if publication is None:
            continue
        publication.status = PublicationStatus.PUBLISHED
        publication.url = dispatch.url or publication.url
        publication.published_at = dispatch.published_at or now
        changed.append(publication)
        activities.append(Activity(
            item=publication.item, actor=None, verb="delivered",
            data={"channel_id": publication.channel_id, "url": dispatch.url,
                  "late": dispatch.state == S.LATE},
        ))  # fmt: skip
    if not changed:
        return
    updates.update_each(changed, ["status", "url", "published_at"])
    Activity.objects.bulk_create(activities)
    items = {p.item_id for p in changed if p.item.state in SENDABLE}
    waiting = set(
        Publication.objects.filter(item_id__in=items)
        .exclude(status=PublicationStatus.PUBLISHED).values_list("item_id", flat=True)
    )  # fmt: skip
    ContentItem.objects.filter(pk__in=items - waiting, state__in=SENDABLE).update(
        state=State.PUBLISHED, updated_at=now
    )


def delivered(dispatch: Dispatch) -> None:
    publication = Publication.objects.select_related("item").filter(pk=dispatch.ref).first()
    if publication is None:
        return
    S = DispatchState
    if dispatch.state in (S.PUBLISHED, S.LATE):
        Publication.objects.filter(pk=publication.pk).update(
            status=PublicationStatus.PUBLISHED, url=dispatch.url or publication.url,
            published_at=dispatch.published_at or timezone.now(),
        )  # fmt: skip
        item = publication.item
        Activity.objects.create(
            item=item, actor=None, verb="delivered",
            data={"channel_id": publication.channel_id, "url": dispatch.url,
                  "late": dispatch.state == S.LATE},
        )  # fmt: skip
        rest = item.publications.exclude(status=PublicationStatus.PUBLISHED)
        if item.state in SENDABLE and not rest.exists():
            ContentItem.objects.filter(pk=item.pk, state__in=SENDABLE).update(
                state=State.PUBLISHED, updated_at=timezone.now()
            )
            team_summary.mark_changed([item.project_id])  # published: H4's share moves
    elif dispatch.state == S.FAILED:
        Publication.objects.filter(pk=publication.pk).exclude(
            status=PublicationStatus.PUBLISHED
        ).update(status=PublicationStatus.FAILED)
    elif dispatch.state in (S.SCHEDULED, S.SENDING, S.HELD, S.NEEDS_CHECK):
        Publication.objects.filter(pk=publication.pk, status=PublicationStatus.FAILED).update(
            status=PublicationStatus.SCHEDULED
        )


delivered.many = delivered_many


def audience(dispatch: Dispatch):
    publication = (
        Publication.objects.select_related("item__project").filter(pk=dispatch.ref).first()
    )
    if publication is None:
        return None
    item, project = publication.item, publication.item.project
    members = project.memberships.select_related("user")
    review = item.steps.filter(kind=StepKind.REVIEW, assignee__isnull=False).first()
    smm = [review.assignee.user] if review else []
    smm += [m.user for m in members if JobRole.SMM in (m.roles or [])]
    leads = [m.user for m in members if JobRole.PRODUCER in (m.roles or [])]
    if not smm:
        smm = leads
    url = reverse("content:item", args=(project.slug, item.pk)) + "#publications"
    return delivery.Audience(smm=smm[:1] if review else smm, leads=leads, title=item.title,
                             url=url)  # fmt: skip


def register() -> None:
    delivery.DUE.register(due)
    delivery.CONTENT.register(content)
    delivery.DELIVERED.register(delivered)
    delivery.AUDIENCE.register(audience)
