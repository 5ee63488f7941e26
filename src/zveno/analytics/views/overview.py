"""Analytics pages: the project's summary (goals, funnel, key metrics against the last period)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path, reverse

from zveno.analytics import goals, presentation, selectors
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

KEEP = ("avg", "heat", "min_reach")  # page options a new period keeps


def page_context(request, granted, tab: str) -> dict:
    """What every analytics page has: the project head, the period and its picker."""
    project = granted.project
    period, error = selectors.parse_period(project, request.GET)
    keep = {k: request.GET[k] for k in KEEP if request.GET.get(k)}
    return {
        "keep": keep,
        "extra_query": urlencode(keep),
        "project": project,
        "granted": granted,
        "tab": tab,
        "period": period,
        "previous": period.previous(),
        "period_error": error,
        "presets": selectors.PRESETS,
        "average": selectors.parse_average(request.GET.get("avg")),
        "averages": [(k, selectors.formulas.AVERAGING_NAMES[k]) for k in selectors.AVERAGES],
        "has_data": selectors.has_data(project),
        "fx": selectors.formulas.FORMULAS,
    }


def with_csv(project, period, *charts):
    """Sets each chart's CSV link: the same period and options as the page."""
    for chart in charts:
        url = reverse("analytics:chart_csv", args=[project.slug, chart.key])
        chart.csv_url = f"{url}?{urlencode({**period.params, **chart.params})}"
    return list(charts)


@access.member_required
def overview(request, slug):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    ctx = page_context(request, granted, "analytics")
    period = ctx["period"]
    ctx["goals"] = goals.for_project(project)
    if ctx["has_data"]:
        ctx["cards"] = presentation.key_metrics(project, period)
        ctx["charts"] = with_csv(
            project,
            period,
            presentation.daily_chart(project, period),
            presentation.funnel_chart(project, period),
        )
    return render(request, "analytics/overview.html", ctx)


urls = [
    path("p/<slug:slug>/analytics/", overview, name="overview"),
]
