"""Analytics pages: content performance, channels, team and expert, and every chart's CSV."""

from __future__ import annotations

import io

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _

from zveno.analytics import collection, freshness
from zveno.analytics import presentation as shown
from zveno.analytics import selectors as sel
from zveno.analytics.views.overview import page_context, with_csv
from zveno.core import exports
from zveno.workspaces import access
from zveno.workspaces.roles import Capability


def _content_charts(project, period, params) -> tuple[dict, int, int]:
    """Builders of the content page's charts over one read of the period's posts."""
    average = sel.parse_average(params.get("avg"))
    heat = params.get("heat") if params.get("heat") in shown.HEAT_METRICS else "err"
    rows = sel.post_rows(project, period)
    min_reach = sel.min_reach_for(rows, params.get("min_reach"))
    top_err, bottom_err = sel.top_bottom(rows, "err", min_reach)
    top_reach, bottom_reach = sel.top_bottom(rows, "reach", 0)
    return (
        {
            "rubric": lambda: shown.breakdown_chart(project, period, "rubric", average),
            "format": lambda: shown.breakdown_chart(project, period, "format", average),
            "media_type": lambda: shown.breakdown_chart(project, period, "media_type", average),
            "network": lambda: shown.breakdown_chart(project, period, "network", average),
            "heatmap": lambda: shown.heat_chart(rows, heat),
            "top_err": lambda: shown.posts_chart("top_err", _("Top 10 by ERR"), top_err, min_reach),
            "bottom_err": lambda: shown.posts_chart(
                "bottom_err", _("Bottom 10 by ERR"), bottom_err, min_reach
            ),
            "top_reach": lambda: shown.posts_chart("top_reach", _("Top 10 by reach"), top_reach),
            "bottom_reach": lambda: shown.posts_chart(
                "bottom_reach", _("Bottom 10 by reach"), bottom_reach
            ),
            "promoted": lambda: shown.promoted_chart(rows, average),
        },
        min_reach,
        len(rows),
    )


@access.member_required
def content(request, slug):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    ctx = page_context(request, granted, "performance")
    period = ctx["period"]
    build, min_reach, posts = _content_charts(project, period, request.GET)
    charts = {name: make() for name, make in build.items()}
    with_csv(project, period, *charts.values())
    ctx.update(charts=charts, min_reach=min_reach, posts=posts)
    ctx["heat"] = charts["heatmap"].params["heat"]
    return render(request, "analytics/content.html", ctx)


@access.member_required
def channels(request, slug):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    ctx = page_context(request, granted, "channels")
    period = ctx["period"]
    chart = shown.channels_chart(project, period, sel.post_rows(project, period))
    ctx["chart"] = with_csv(project, period, chart)[0]
    latest = freshness.latest_by_channel(project)
    for figures in chart.extra.get("channels", []):
        figures["fresh"] = freshness.freshness(
            figures["channel"], latest.get(figures["channel"].pk)
        )
    ctx["can_collect"] = _can_collect(request.user, project, latest)
    return render(request, "analytics/channels.html", ctx)


@access.member_required
def channel(request, slug, channel_id: int):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    found = get_object_or_404(project.channels, pk=channel_id)
    ctx = page_context(request, granted, "channels")
    period = ctx["period"]
    rows = sel.post_rows(project, period, channel=found)
    days = sel.channel_days(project, period, found).get(found.pk, [])
    figures = sel.channel_figures(found, days, rows, period)
    charts = with_csv(project, period, *shown.channel_charts(found, period, rows, days))
    latest = freshness.latest_by_channel(project)
    ctx.update(channel=found, figures=figures, charts=charts)
    ctx["fresh"] = freshness.freshness(found, latest.get(found.pk))
    can = _can_collect(request.user, project, latest)
    ctx["can_collect"] = can and collection.collectable(found)
    return render(request, "analytics/channel.html", ctx)


def _can_collect(user, project, latest: dict) -> bool:
    """The button shows for whoever manages analytics, on a project with a readable channel."""
    if Capability.MANAGE_ANALYTICS not in access.capabilities(user, project):
        return False
    return any(collection.collectable(c) for c in project.channels.filter(is_active=True))


@access.member_required
def team(request, slug):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    ctx = page_context(request, granted, "team_expert")
    period = ctx["period"]
    chart = shown.expert_chart(sel.post_rows(project, period), ctx["average"])
    ctx["chart"] = with_csv(project, period, chart)[0]
    return render(request, "analytics/team.html", ctx)


def _chart_for(project, key: str, period, params):
    """The chart a CSV link names, built from the same reads as its page."""
    average = sel.parse_average(params.get("avg"))
    if key == "daily":
        return shown.daily_chart(project, period)
    if key == "funnel":
        return shown.funnel_chart(project, period)
    if key in ("expert", "channels"):
        rows = sel.post_rows(project, period)
        if key == "expert":
            return shown.expert_chart(rows, average)
        return shown.channels_chart(project, period, rows)
    if key.startswith("channel_"):
        channel_id = params.get("channel", "")
        if not channel_id.isdigit():
            raise Http404
        found = get_object_or_404(project.channels, pk=int(channel_id))
        rows = sel.post_rows(project, period, channel=found)
        for chart in shown.channel_charts(found, period, rows):
            if chart.key == key:
                return chart
        raise Http404
    build, _min_reach, _posts = _content_charts(project, period, params)
    if key not in build:
        raise Http404
    return build[key]()


def _csv_value(value, decimal: str):
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", decimal)
    if value is None:
        return ""
    return str(value).replace(".", decimal) if not isinstance(value, str) else value


@access.member_required
def chart_csv(request, slug, chart: str):
    """A chart's rows as CSV: UTF-8 with a BOM; ';' and a decimal comma for Russian."""
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    period, _unused = sel.parse_period(project, request.GET)
    found = _chart_for(project, chart, period, request.GET)
    russian = (request.LANGUAGE_CODE or "ru").startswith("ru")
    delimiter, decimal = (";", ",") if russian else (",", ".")
    buffer = io.StringIO()
    writer = exports.csv_writer(buffer, delimiter=delimiter)
    writer.writerow([str(c) for c in found.columns])
    for row in found.rows:
        writer.writerow([_csv_value(v, decimal) for v in row])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    name = f"{project.slug}-{chart}-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urls = [
    path("p/<slug:slug>/analytics/content/", content, name="content"),
    path("p/<slug:slug>/analytics/channels/", channels, name="channels"),
    path("p/<slug:slug>/analytics/channels/<int:channel_id>/", channel, name="channel"),
    path("p/<slug:slug>/analytics/team/", team, name="team"),
    path("p/<slug:slug>/analytics/chart/<str:chart>.csv", chart_csv, name="chart_csv"),
]
