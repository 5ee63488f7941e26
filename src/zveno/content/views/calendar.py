"""calendar pages of the content plan: month, week and list; rescheduling; iCalendar feeds."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zveno.content import calendar
from zveno.content.models import FeedToken, State
from zveno.core import throttle
from zveno.core.timezones import today_in
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

FILTER_KEYS = ("channel", "rubric", "status", "assignee")


def _filters_context(project, request, filters) -> dict:
    return {
        "filters": filters,
        "channels": project.channels.all(),
        "rubrics": project.rubrics.all(),
        "states": State.choices,
        "members": calendar.memberships(project),
        "query": request.GET.urlencode(),
        "keep": urlencode({k: v for k, v in request.GET.items() if k in FILTER_KEYS and v}),
    }


def _day_links(project) -> dict:
    """What every day cell repeats, worked out once a page: the new-item link and its title."""
    new_item = reverse("content:item_new", args=(project.slug,))
    return {"new_item": new_item, "new_title": _("New item on this day")}


def _nav(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """(previous, next) dates for the arrows of this view."""
    if view == "week":
        return day - dt.timedelta(days=7), day + dt.timedelta(days=7)
    first = day.replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return previous, following


@access.member_required
@require_GET
def calendar_page(request, slug: str):
    """The plan by month (Monday first), by week with times, or as a list."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    today = today_in(project.timezone)
    day = calendar.parse_date(request.GET.get("date"), today)
    view = request.GET.get("view") if request.GET.get("view") in calendar.VIEWS else "month"
    filters = calendar.Filters.from_query(request.GET)
    previous, following = _nav(view, day)
    can_move = granted.can(Capability.EDIT_CONTENT)
    context = {
        "project": project, "granted": granted, "tab": "calendar", "view": view, "day": day,
        "today": today, "previous": previous, "following": following,
        "can_move": can_move, "day_links": _day_links(project),
        "feeds": calendar.feeds_for(request.user, project, granted),
        **_filters_context(project, request, filters),
    }  # fmt: skip
    if view == "week":
        context["dates"], context["rows"] = calendar.week_grid(project, day, filters, can_move)
    elif view == "list":
        first, last = calendar.month_range(day)
        context["items"] = calendar.items_between(project, first, last, filters)
    else:
        context["weeks"] = calendar.month_grid(project, day, filters, can_move)
    return render(request, "content/calendar/calendar.html", context)


def _parse_time(value: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value) if value else None
    except ValueError:
        return None


@access.member_required
@require_POST
def calendar_move(request, slug: str, item: int):
    """Drops an item on a day (month) or a day and hour (week); answers the refreshed cell."""
    project = access.project_for(request.user, slug)
    obj = get_object_or_404(project.content_items, pk=item)
    day = calendar.parse_date(request.POST.get("date"), None)
    at = _parse_time(request.POST.get("time", ""))
    if day is None or (request.POST.get("time") and at is None):
        return HttpResponseBadRequest(_("Choose a date."))
    try:
        calendar.reschedule(request.user, obj, day, at)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    if not request.headers.get("HX-Request"):
        messages.success(request, _("Rescheduled."))
        url = reverse("content:calendar", args=(project.slug,))
        return redirect(f"{url}?date={day.isoformat()}")
    filters = calendar.Filters.from_query(request.GET)
    context = {
        "project": project, "can_move": True, "today": today_in(project.timezone),
        "day_links": _day_links(project),
    }  # fmt: skip
    if at is not None:
        slot = calendar.Slot(day, at.hour, calendar.day_items(project, day, filters, at.hour))
        return render(request, "content/calendar/_slot.html", {**context, "slot": slot})
    cell = calendar.Day(day, items=calendar.day_items(project, day, filters))
    return render(request, "content/calendar/_day.html", {**context, "d": cell})


@access.member_required
@require_POST
def calendar_feeds(request, slug: str):
    """Creates a feed URL and shows it once."""
    granted = access.grant_for(request.user, slug)
    project = granted.project
    whole = request.POST.get("kind") == "project"
    try:
        feed, raw = calendar.create_feed(request.user, project, whole_project=whole)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("content:calendar", project.slug)
    url = request.build_absolute_uri(reverse("content:ical_feed", args=(raw,)))
    context = {
        "project": project, "granted": granted,
        "tab": "calendar", "feed": feed, "feed_url": url,
    }  # fmt: skip
    return render(request, "content/calendar/feed_created.html", context)


@access.member_required
@require_POST
def calendar_feed_revoke(request, slug: str, feed_id: int):
    project = access.project_for(request.user, slug)
    feed = get_object_or_404(FeedToken, project=project, pk=feed_id, revoked_at__isnull=True)
    calendar.revoke_feed(request.user, feed)
    messages.success(request, _("The feed URL is revoked."))
    return redirect("content:calendar", project.slug)


@access.public
@throttle.guard_link
@require_GET
def ical_feed(request, feed: str):
    """The secret feed: anybody holding the URL, until it is revoked."""
    token = calendar.feed_by_token(feed)
    if token is None:
        raise Http404
    body = calendar.ical(token, request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


urls: list = [
    path("p/<slug:slug>/calendar/", calendar_page, name="calendar"),
    path("p/<slug:slug>/calendar/<int:item>/move/", calendar_move, name="calendar_move"),
    path("p/<slug:slug>/calendar/feeds/", calendar_feeds, name="calendar_feeds"),
    path(
        "p/<slug:slug>/calendar/feeds/<int:feed_id>/revoke/",
        calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    path("ical/<str:feed>.ics", ical_feed, name="ical_feed"),
]
