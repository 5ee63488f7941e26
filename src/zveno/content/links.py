"""Login-free links for the expert: answer a request, approve an item or this week's items.

A request link is signed with ``django.core.signing`` and expires after 14 days; it carries the
request id and its ``link_nonce``, and a new nonce revokes every older link. An approval link is a
random token stored as its SHA-256 (``ApprovalLink``, like report links): it names nothing a reader
could decode, acts as the project's expert on one item or one week, expires after 14 days, and is
revoked one by one; an expert removed and added back does not revive the links made before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.content.models import (
    AnswerFile,
    ApprovalLink,
    ContentItem,
    ExpertRequest,
    Media,
)
from zveno.content.selectors import day_range_utc
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability, capabilities_for

MAX_AGE = dt.timedelta(days=14)
REQUEST_SALT = "zveno.content.request-link"
APPROVAL_PREFIX = "zva_"


def new_nonce() -> str:
    return secrets.token_hex(8)


def _absolute(path: str, request=None) -> str:
    return request.build_absolute_uri(path) if request is not None else settings.BASE_URL + path


def request_token(expert_request: ExpertRequest) -> str:
    payload = {"r": expert_request.pk, "n": expert_request.link_nonce}
    return signing.dumps(payload, salt=REQUEST_SALT, compress=True)


def request_link(expert_request: ExpertRequest, request=None) -> str:
    """The absolute link that lets the expert answer without logging in."""
    return _absolute(reverse("content:request_link", args=[request_token(expert_request)]), request)


def request_from_link(token: str) -> ExpertRequest | None:
    """The request a link names; None when forged, expired or revoked by a new nonce."""
    try:
        data = signing.loads(token, salt=REQUEST_SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("n"):
        return None
    found = ExpertRequest.objects.select_related("project").filter(pk=data.get("r")).first()
    if found is None or not secrets.compare_digest(found.link_nonce, str(data["n"])):
        return None
    return found


@dataclass(frozen=True)
class ApprovalTarget:
    """What an approval link opens: one item, or a week of a project, acting as ``expert``."""

    project: Project
    expert: object  # the project's expert user the link acts as
    item_id: int | None = None
    week: dt.date | None = None  # the Monday of the week, in the project's calendar

    def items(self):
        qs = ContentItem.objects.filter(project=self.project).prefetch_related("media")
        if self.item_id is not None:
            return qs.filter(pk=self.item_id)
        start, end = day_range_utc(self.project, self.week, self.week + dt.timedelta(days=6))
        return qs.filter(planned_at__gte=start, planned_at__lt=end)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_approval_link(
    actor, project: Project, *, item: ContentItem | None = None, week: dt.date | None = None
) -> tuple[ApprovalLink, str]:
    """A new link for one item or for the week containing ``week``; the raw token is returned
    this once, the database keeps its hash."""
    access.require(actor, project, Capability.REVIEW_CONTENT)
    expert = expert_of(project)
    if expert is None:
        raise ValidationError(_("The project has no expert to send a link to."))
    if item is not None and item.project_id != project.pk:
        raise ValidationError({"item": _("Unknown content item.")})
    monday = None if item is not None else week - dt.timedelta(days=week.weekday())
    raw = APPROVAL_PREFIX + secrets.token_urlsafe(24)
    link = ApprovalLink.objects.create(
        project=project, expert=expert, item=item, week=monday, token_hash=_hash(raw),
        expires_at=timezone.now() + MAX_AGE, created_by=actor,
    )  # fmt: skip
    return link, raw


@transaction.atomic
def revoke_approval_link(actor, link: ApprovalLink) -> None:
    access.require(actor, link.project, Capability.REVIEW_CONTENT)
    ApprovalLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def approval_url(raw: str, request=None) -> str:
    return _absolute(reverse("content:approval_link", args=[raw]), request)


def expert_of(project: Project):
    """The project's expert user whom approval links act as (the first one), or None."""
    for membership in project.memberships.select_related("user").order_by("pk"):
        if Capability.APPROVE_AS_EXPERT in capabilities_for(membership.roles, None):
            return membership.user
    return None


def approval_from_link(token: str) -> ApprovalTarget | None:
    """The target of an approval link; None when unknown, expired, revoked, or its expert left
    (or left and came back: links made before the expert joined again stay dead)."""
    if not token.startswith(APPROVAL_PREFIX):
        return None
    now = timezone.now()
    link = (
        ApprovalLink.objects.select_related("project", "expert")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None or not link.expert.is_active:
        return None
    membership = link.project.memberships.filter(user=link.expert).first()
    if membership is None or membership.joined_at > link.created_at:
        return None
    if Capability.APPROVE_AS_EXPERT not in capabilities_for(membership.roles, None):
        return None  # the expert is no longer the project's expert: the link stops working
    if link.last_used_at is None or now - link.last_used_at > dt.timedelta(minutes=1):
        ApprovalLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return ApprovalTarget(link.project, link.expert, link.item_id, link.week)


# --- media for the login-free pages ------------------------------------------------------------
# A login-free page cannot use the members' media address (it asks for a session), so it shows
# each file through a signed address that names the file and expires. It is minted afresh each
# time the page is opened; only a page whose own link checked out mints one.

MEDIA_SALT = "zveno.content.media"
MEDIA_MAX_AGE = dt.timedelta(hours=24)


def media_token(media: Media) -> str:
    return signing.TimestampSigner(salt=MEDIA_SALT).sign(f"{media.pk}.{media.item_id}")


def media_url(media: Media) -> str:
    """A relative, signed, expiring address of one media file (for a login-free page)."""
    return reverse("content:media_signed", args=[media_token(media)])


def media_from_token(token: str) -> Media | None:
    """The media a signed address names; None when forged, expired or the file is gone."""
    try:
        value = signing.TimestampSigner(salt=MEDIA_SALT).unsign(token, max_age=MEDIA_MAX_AGE)
        media_id, item_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return Media.objects.filter(pk=media_id, item_id=item_id).first()


ANSWER_SALT = "zveno.content.answer_file"


def answer_file_url(answer_file: AnswerFile) -> str:
    """A relative, signed, expiring address of a file the expert attached (login-free page)."""
    value = f"{answer_file.pk}.{answer_file.answer_id}"
    token = signing.TimestampSigner(salt=ANSWER_SALT).sign(value)
    return reverse("content:answer_file_signed", args=[token])


def answer_file_from_token(token: str) -> AnswerFile | None:
    try:
        value = signing.TimestampSigner(salt=ANSWER_SALT).unsign(token, max_age=MEDIA_MAX_AGE)
        file_id, answer_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return AnswerFile.objects.filter(pk=file_id, answer_id=answer_id).first()
