"""Reads of content items, scoped to a project the caller has already been given access to."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Prefetch, QuerySet

from zveno.content.models import Activity, Approval, ContentItem, Publication, Step
from zveno.publishing.models import Dispatch, DispatchState
from zveno.workspaces.models import Project


def items(project: Project) -> QuerySet[ContentItem]:
    """A project's items with what a list shows, in a fixed number of queries."""
    return (
        ContentItem.objects.filter(project=project)
        .select_related("rubric", "project")
        .prefetch_related(
            Prefetch("publications", Publication.objects.select_related("channel")),
            Prefetch("steps", Step.objects.select_related("assignee__user")),
        )
    )


def day_range_utc(
    project: Project, start: dt.date, end: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """From the start of ``start`` to the end of ``end`` in the project's time zone, in UTC."""
    zone = zoneinfo.ZoneInfo(project.timezone)
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)


def filtered(
    project: Project,
    start: dt.date | None = None,
    end: dt.date | None = None,
    state: str | None = None,
    channel_id: int | None = None,
) -> QuerySet[ContentItem]:
    qs = items(project)
    if start is not None:
        qs = qs.filter(planned_at__gte=day_range_utc(project, start, start)[0])
    if end is not None:
        qs = qs.filter(planned_at__lt=day_range_utc(project, end, end)[1])
    if state:
        qs = qs.filter(state=state)
    if channel_id:
        qs = qs.filter(publications__channel_id=channel_id).distinct()
    return qs


def history(item: ContentItem) -> tuple[list[Activity], list[Approval]]:
    activities = list(item.activities.select_related("actor"))
    approvals = list(item.approvals.select_related("user"))
    return activities, approvals


def deliveries(publication_ids) -> dict:
    """The scheduler's dispatch of each publication that has one, by publication id, with its
    attempts prefetched (the delivery log)."""
    from_ids = list(publication_ids)
    if not from_ids:
        return {}
    rows = Dispatch.objects.filter(ref__in=from_ids).prefetch_related("attempts")
    return {d.ref: d for d in rows}


def publication_status(publication, dispatch) -> str:
    """What a person sees: the delivery's state once the scheduler has one, else the plan's."""
    if dispatch is None or dispatch.state == DispatchState.PLANNED:
        return publication.status
    return dispatch.state
