"""API: analytics summary, daily series and funnel of a project.

``GET /projects/{slug}/analytics/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&group_by=…]`` sums the
latest counters of the posts published on the project's days from..to, with ERR (interactions /
reach, %) three ways; with ``group_by`` (format, media_type, rubric, network, weekday, hour) a
list of such objects, each with its ``key`` and ``label``. Parameters are checked after access, so
a stranger learns nothing; a bad date, from > to or an unknown group_by or metric answer 422.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from zveno.analytics import summary
from zveno.core import bounds
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

router = Router(tags=["analytics"])

MAX_SERIES_DAYS = 1100  # three years of points is plenty for a chart or a goal


class PeriodIn(Schema):
    start: str | None = Field(
        None, alias="from", description="First day (YYYY-MM-DD), project time"
    )
    end: str | None = Field(None, alias="to", description="Last day (YYYY-MM-DD), inclusive")


class ErrOut(Schema):
    ratio_of_sums: float | None = Field(description="Σ interactions / Σ reach × 100 %")
    mean: float | None = Field(description="Mean of per-post ERR, %")
    median: float | None = Field(description="Median of per-post ERR, %")


class SummaryOut(Schema):
    posts: int
    views: int | None
    reach: int | None
    impressions: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    interactions: int | None = Field(description="likes + comments + shares, latest snapshot")
    err: ErrOut


class GroupOut(SummaryOut):
    key: str | int
    label: str


class PointOut(Schema):
    date: dt.date
    value: float | None


class SeriesOut(Schema):
    metric: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    points: list[PointOut]


class FunnelStepOut(Schema):
    step: str
    label: str
    value: float | None
    conversion: float | None = Field(description="step / previous step × 100 %")


def _day(raw: str | None, name: str, errors: dict) -> dt.date | None:
    if not raw:
        errors[name] = [_("Required, as YYYY-MM-DD.")]
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    if not bounds.day_ok(day):
        errors[name] = [bounds.day_message()]
        return None
    return day


def _period(period: PeriodIn, errors: dict | None = None) -> tuple[dt.date, dt.date]:
    errors = {} if errors is None else errors
    start = _day(period.start, "from", errors)
    end = _day(period.end, "to", errors)
    if start and end and start > end:
        errors["to"] = [_("The last day comes before the first.")]
    if errors:
        raise ValidationError(errors)
    return start, end


def _choice(value: str, allowed, name: str, errors: dict) -> None:
    if value not in allowed:
        errors[name] = [_("One of: %(choices)s.") % {"choices": ", ".join(allowed)}]


@router.get("/projects/{slug}/analytics/summary", response=SummaryOut | list[GroupOut])
def analytics_summary(request, slug: str, period: Query[PeriodIn], group_by: str | None = None):
    """Sums over the posts published from..to (latest snapshot of each) and ERR three ways;
    with ``group_by``, one such object per group."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    errors: dict = {}
    if group_by:
        _choice(group_by, summary.GROUP_BY, "group_by", errors)
    start, end = _period(period, errors)
    return summary.summarize(project, start, end, group_by or None)


@router.get("/projects/{slug}/analytics/series", response=SeriesOut, by_alias=True)
def analytics_series(request, slug: str, period: Query[PeriodIn], metric: str | None = None):
    """A daily series (every day from..to, null for a day without data); see
    ``zveno.analytics.summary.series`` for each metric's source."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    errors: dict = {}
    _choice(metric or "", summary.SERIES_METRICS, "metric", errors)
    start, end = _period(period, errors)
    if (end - start).days >= MAX_SERIES_DAYS:
        raise ValidationError(
            {"to": [_("At most %(days)s days at a time.") % {"days": MAX_SERIES_DAYS}]}
        )
    points = summary.series(project, metric, start, end)
    return {
        "metric": metric,
        "from": start,
        "to": end,
        "points": [{"date": day, "value": _float(value)} for day, value in points],
    }


@router.get("/projects/{slug}/analytics/funnel", response=list[FunnelStepOut])
def analytics_funnel(request, slug: str, period: Query[PeriodIn]):
    """Reach → dialogues → leads → sales over from..to, with conversions (%)."""
    project = access.project_for(request.auth, slug, Capability.VIEW_ANALYTICS)
    start, end = _period(period)
    return [
        {**step, "value": _float(step["value"])} for step in summary.funnel(project, start, end)
    ]


def _float(value):
    return float(value) if isinstance(value, Decimal) else value
