"""Login-free links for the expert: answer a request, approve an item or this week's items.

Links are signed with ``django.core.signing`` (a salt per kind) and expire after 14 days. A request
link carries the request id and its ``link_nonce``; a new nonce revokes every older link. An
approval link names the project's expert user it acts as, and one item or one week.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from zveno.content.models import ContentItem, ExpertRequest
from zveno.content.selectors import day_range_utc
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability, capabilities_for

MAX_AGE = dt.timedelta(days=14)
REQUEST_SALT = "zveno.content.request-link"
APPROVAL_SALT = "zveno.content.approval-link"


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


def approval_token(
    project: Project, expert, *, item: ContentItem | None = None, week: dt.date | None = None
) -> str:
    payload = {"p": project.pk, "u": expert.pk}
    if item is not None:
        payload["i"] = item.pk
    else:
        monday = week - dt.timedelta(days=week.weekday())
        payload["w"] = monday.isoformat()
    return signing.dumps(payload, salt=APPROVAL_SALT, compress=True)


def approval_link(project: Project, expert, *, item=None, week=None, request=None) -> str:
    """The absolute link for one item or for the week containing ``week``."""
    token = approval_token(project, expert, item=item, week=week)
    return _absolute(reverse("content:approval_link", args=[token]), request)


def expert_of(project: Project):
    """The project's expert user whom approval links act as (the first one), or None."""
    for membership in project.memberships.select_related("user").order_by("pk"):
        if Capability.APPROVE_AS_EXPERT in capabilities_for(membership.roles, None):
            return membership.user
    return None


def approval_from_link(token: str) -> ApprovalTarget | None:
    """The target of an approval link; None when forged, expired, or its expert left."""
    try:
        data = signing.loads(token, salt=APPROVAL_SALT, max_age=MAX_AGE)
        project = Project.objects.filter(pk=data["p"]).first()
        expert = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
        week = dt.date.fromisoformat(data["w"]) if "w" in data else None
        item_id = int(data["i"]) if "i" in data else None
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        return None
    if project is None or expert is None or (week is None and item_id is None):
        return None
    membership = project.memberships.filter(user=expert).first()
    roles = membership.roles if membership else []
    if Capability.APPROVE_AS_EXPERT not in capabilities_for(roles, None):
        return None  # the expert is no longer the project's expert: the link stops working
    return ApprovalTarget(project, expert, item_id, week)
