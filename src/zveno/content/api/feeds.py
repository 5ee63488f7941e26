"""REST endpoints for iCalendar feed URLs: list, create (the URL is shown once), revoke."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from zveno.content import calendar
from zveno.content.models import FeedToken
from zveno.core.bounds import Id
from zveno.workspaces import access

router = Router(tags=["content"])


class FeedOut(Schema):
    id: int
    scope: str = Field(description="project: the whole plan; member: one member's items")
    membership_id: int | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class FeedCreated(FeedOut):
    url: str = Field(description="The secret feed URL; shown only in this answer")


class FeedIn(Schema):
    scope: Literal["project", "member"] = "member"


def feed_out(feed: FeedToken) -> dict:
    return {
        "id": feed.pk,
        "scope": "member" if feed.membership_id else "project",
        "membership_id": feed.membership_id,
        "created_at": feed.created_at,
        "revoked_at": feed.revoked_at,
    }


@router.get("/projects/{slug}/feeds", response=list[FeedOut])
def list_feeds(request, slug: str):
    """Active feeds: your own, and every feed of the project for a manager."""
    project = access.project_for(request.auth, slug)
    return [feed_out(f) for f in calendar.feeds_for(request.auth, project)]


@router.post("/projects/{slug}/feeds", response={201: FeedCreated})
def create_feed(request, slug: str, payload: FeedIn):
    project = access.project_for(request.auth, slug)
    whole = payload.scope == "project"
    feed, raw = calendar.create_feed(request.auth, project, whole_project=whole)
    url = request.build_absolute_uri(reverse("content:ical_feed", args=(raw,)))
    return Status(201, {**feed_out(feed), "url": url})


@router.post("/projects/{slug}/feeds/{feed_id}/revoke", response=FeedOut)
def revoke_feed(request, slug: str, feed_id: Id):
    project = access.project_for(request.auth, slug)
    feed = get_object_or_404(FeedToken, project=project, pk=feed_id, revoked_at__isnull=True)
    return feed_out(calendar.revoke_feed(request.auth, feed))
