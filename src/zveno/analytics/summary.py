"""Period figures of a project: summaries, daily series and the funnel.

Everything here reads ``Post.latest_*`` (the newest snapshot's counters, kept on the post by the
services), so a period costs one aggregate over the ``post_project_time`` index instead of picking
the newest of many snapshots per post. Days are the project's days: a post published at 23:30 in
Moscow on the 30th belongs to the 30th, whatever UTC says.

Absent is not zero: a sum no post reports (``likes`` of a network without likes, or any sum of a
period without posts) is ``None``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    BigIntegerField,
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
)
from django.utils.translation import gettext_lazy as _

from zveno.analytics import formulas
from zveno.analytics.models import BUSINESS_COUNTERS, BusinessDay, ChannelDay, MediaType, Post
from zveno.core.timezones import today_in
from zveno.publishing.models import Format, Network

#: The counters a summary sums (``Post.latest_<name>``).
SUM_COUNTERS = ("views", "reach", "impressions", "likes", "comments", "shares", "saves")
#: The reaction set of ``interactions`` in summaries: likes + comments + shares.
REACTIONS = formulas.DEFAULT_REACTIONS
GROUP_BY = ("format", "media_type", "rubric", "network", "weekday", "hour")

WEEKDAYS = {
    1: _("Monday"),
    2: _("Tuesday"),
    3: _("Wednesday"),
    4: _("Thursday"),
    5: _("Friday"),
    6: _("Saturday"),
    7: _("Sunday"),
}

# Daily series: where each metric comes from.
POST_SERIES = (
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "interactions",
    "post_reach",
    "err",
)
CHANNEL_FIRST_SERIES = ("reach", "impressions")  # ChannelDay when the day has it, else posts
CHANNEL_SERIES = ("followers", "gained", "lost", "profile_visits", "site_clicks")
SERIES_METRICS = POST_SERIES + CHANNEL_FIRST_SERIES + CHANNEL_SERIES + BUSINESS_COUNTERS
FUNNEL_STEPS = ("reach", "dialogues", "leads", "sales")
FUNNEL_LABELS = {
    "reach": _("Reach"),
    "dialogues": _("Dialogues"),
    "leads": _("Leads"),
    "sales": _("Sales"),
}


# --- time ---------------------------------------------------------------------------------------


def project_zone(project) -> zoneinfo.ZoneInfo:
    """The project's time zone; the server's when the project's is unknown."""
    try:
        return zoneinfo.ZoneInfo(project.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_bounds(project, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end + 1 day 00:00) in the project's time zone, as aware datetimes."""
    zone = project_zone(project)
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def posts_in(project, start: dt.date, end: dt.date, channel=None) -> QuerySet[Post]:
    """The project's posts published on the project's days start..end (inclusive)."""
    lo, hi = local_bounds(project, start, end)
    qs = Post.objects.filter(project=project, published_at__gte=lo, published_at__lt=hi)
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs


# --- expressions --------------------------------------------------------------------------------

# Interactions of one post: the reaction set's latest counters, absent parts skipped.
_INTERACTIONS = sum(
    (Coalesce(F(f"latest_{name}"), Value(0)) for name in REACTIONS[1:]),
    start=Coalesce(F(f"latest_{REACTIONS[0]}"), Value(0)),
)
# A post with none of the reaction counters contributes nothing (and is not a 0 in averages).
_HAS_INTERACTIONS = Q(
    *[Q(**{f"latest_{name}__isnull": False}) for name in REACTIONS], _connector=Q.OR
)
# A post counts in ERR when it has interactions and a reach to divide by.
_IN_ERR = _HAS_INTERACTIONS & Q(latest_reach__gt=0)
_POST_ERR = Cast(_INTERACTIONS, FloatField()) * Value(100.0) / Cast("latest_reach", FloatField())


class _Median(Aggregate):
    """PostgreSQL's median (an ordered-set aggregate); other databases compute it in Python."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _median_in_sql() -> bool:
    return connection.vendor == "postgresql"


def _aggregates() -> dict:
    """The sums and ERR's mean in SQL; ERR's ratio of sums and median too where the database has
    a median (elsewhere :func:`_python_err` reads them off the posts' counters).

    ``interactions`` is not summed here: it is the sum of the reaction counters' sums
    (:func:`_interactions`), which the query has anyway."""
    aggs = {"posts": Count("pk")}
    aggs.update({name: Sum(f"latest_{name}") for name in SUM_COUNTERS})
    aggs["_err_mean"] = Avg(_POST_ERR, filter=_IN_ERR, output_field=FloatField())
    if _median_in_sql():
        aggs["_err_num"] = Sum(_INTERACTIONS, filter=_IN_ERR, output_field=BigIntegerField())
        aggs["_err_den"] = Sum("latest_reach", filter=_IN_ERR)
        aggs["_err_median"] = _Median(_POST_ERR, filter=_IN_ERR)
    return aggs


def _int(value):
    """SUM over bigint is numeric on PostgreSQL: give back an int when it is whole."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _interactions(sums: dict):
    """Σ (likes + comments + shares) over the posts that have any of them, absent parts skipped:
    the sum of the reactions' own sums, ``None`` when no post has any."""
    present = [sums[name] for name in REACTIONS if sums[name] is not None]
    return sum(present) if present else None


def _finish(row: dict, err: dict | None = None, key=None) -> dict:
    """One summary from a row of :func:`_aggregates`; ``err``: :func:`_python_err`'s answer,
    where ERR's ratio of sums and median were not read in SQL."""
    if err is not None:
        row = {**row, **err.get(key, _NO_ERR)}
    out = {"posts": row["posts"]}
    for name in SUM_COUNTERS:
        out[name] = _int(row[name])
    out["interactions"] = _interactions(out)
    out["err"] = {
        "ratio_of_sums": formulas.percent(row["_err_num"], row["_err_den"]),
        "mean": row["_err_mean"],
        "median": row["_err_median"],
    }
    return out


_NO_ERR = {"_err_num": None, "_err_den": None, "_err_median": None}
_REACTION_FIELDS = tuple(f"latest_{name}" for name in REACTIONS)


def _python_err(qs: QuerySet, key_expr=None) -> dict:
    """ERR's ratio of sums (numerator and denominator) and median per group, from each post's
    counters, for databases without an ordered-set median: the posts are read for the median
    anyway, and their plain columns cost less to ask for than the per-post ERR in SQL.

    A post counts when it has any reaction counter and a reach; its ERR is computed as SQL does
    (interactions as a double × 100.0 / reach as a double), so the figures are the same."""
    qs = qs.filter(latest_reach__gt=0)
    if key_expr is None:
        rows = ((None, *row) for row in qs.values_list("latest_reach", *_REACTION_FIELDS))
    else:
        rows = qs.annotate(_key=key_expr).values_list("_key", "latest_reach", *_REACTION_FIELDS)
    groups: dict = defaultdict(lambda: [0, 0, []])
    for key, reach, *reactions in rows:
        if all(value is None for value in reactions):
            continue
        interactions = sum(value for value in reactions if value is not None)
        group = groups[key]
        group[0] += interactions
        group[1] += reach
        group[2].append(interactions * 100.0 / reach)
    return {
        key: {"_err_num": num, "_err_den": den, "_err_median": float(statistics.median(rates))}
        for key, (num, den, rates) in groups.items()
    }


# --- summaries ----------------------------------------------------------------------------------


def summarize(
    project, start: dt.date, end: dt.date, group_by: str | None = None, *, channel=None
) -> dict | list[dict]:
    """Sums of the latest counters of the posts published start..end (project days) and their ERR.

    Returns ``{posts, views, reach, impressions, likes, comments, shares, saves, interactions,
    err: {ratio_of_sums, mean, median}}``: interactions = likes + comments + shares of each post's
    newest snapshot (absent parts skipped; a post with none of them adds nothing); ERR in percent =
    interactions / reach (:func:`formulas.err`) averaged three ways (:func:`formulas.average`) over
    the posts that have both interactions and a reach.

    With ``group_by`` (one of :data:`GROUP_BY`) a list of such dicts, each with ``key`` and
    ``label``: weekday keys are ISO (1 = Monday … 7 = Sunday) and hours 0–23, both in the project's
    time zone, in key order; format, rubric and network groups come most posts first.
    """
    qs = posts_in(project, start, end, channel).order_by()
    if group_by is None:
        row = qs.aggregate(**_aggregates())
        return _finish(row, None if _median_in_sql() else _python_err(qs))
    if group_by not in GROUP_BY:
        raise ValueError(f"unknown group_by {group_by!r}; expected one of {GROUP_BY}")
    key_expr = _group_expression(group_by, project_zone(project))
    rows = qs.annotate(_key=key_expr).values("_key").annotate(**_aggregates()).order_by()
    rows = list(rows)
    err = None if _median_in_sql() else _python_err(qs, key_expr)
    labels = _labels(project, group_by, [row["_key"] for row in rows])
    out = []
    for row in rows:
        item = {"key": row["_key"], "label": labels.get(row["_key"], row["_key"])}
        item.update(_finish(row, err, row["_key"]))
        out.append(item)
    if group_by in ("weekday", "hour"):
        out.sort(key=lambda item: item["key"])
    else:
        out.sort(key=lambda item: (-item["posts"], str(item["key"])))
    return out


def _group_expression(group_by: str, zone):
    if group_by == "weekday":
        return ExtractIsoWeekDay("published_at", tzinfo=zone)
    if group_by == "hour":
        return ExtractHour("published_at", tzinfo=zone)
    return F(group_by)


def _labels(project, group_by: str, keys: Iterable) -> dict:
    """Readable names of the group keys (format, rubric and network codes; weekday numbers)."""
    if group_by == "weekday":
        return {key: str(WEEKDAYS.get(key, key)) for key in keys}
    if group_by == "hour":
        return {key: f"{key:02d}:00" for key in keys if key is not None}
    if group_by == "network":
        names = dict(Network.choices)
    elif group_by == "format":
        names = dict(Format.choices)
    elif group_by == "media_type":
        names = dict(MediaType.choices)
    else:
        names = dict(project.rubrics.filter(code__in=list(keys)).values_list("code", "name"))
    empty = str(_("not set"))
    return {key: str(names.get(key, key)) if key else empty for key in keys}


# --- daily series -------------------------------------------------------------------------------


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _post_days(project, start, end, channel, aggs: dict) -> dict:
    zone = project_zone(project)
    rows = (
        posts_in(project, start, end, channel)
        .order_by()
        .annotate(_day=TruncDate("published_at", tzinfo=zone))
        .values("_day")
        .annotate(**aggs)
    )
    return {row["_day"]: row for row in rows}


def _post_series(project, metric, start, end, channel) -> dict:
    if metric == "posts":
        aggs = {"value": Count("pk")}
    elif metric == "post_reach":
        aggs = {"value": Max("latest_reach")}
    elif metric == "interactions":
        aggs = {
            "value": Sum(_INTERACTIONS, filter=_HAS_INTERACTIONS, output_field=BigIntegerField())
        }
    elif metric == "err":
        aggs = {
            "num": Sum(_INTERACTIONS, filter=_IN_ERR, output_field=BigIntegerField()),
            "den": Sum("latest_reach", filter=_IN_ERR),
        }
    else:
        aggs = {"value": Sum(f"latest_{metric}")}
    rows = _post_days(project, start, end, channel, aggs)
    if metric == "err":
        return {day: formulas.percent(row["num"], row["den"]) for day, row in rows.items()}
    return {day: _int(row["value"]) for day, row in rows.items()}


def _table_series(model, project, field, start, end, channel) -> dict:
    qs = model.objects.filter(project=project, date__gte=start, date__lte=end)
    if channel is not None:
        qs = qs.filter(channel=channel)
    rows = qs.filter(**{f"{field}__isnull": False}).order_by().values("date")
    return {row["date"]: _int(row["value"]) for row in rows.annotate(value=Sum(field))}


def series(
    project, metric: str, start: dt.date, end: dt.date, *, channel=None
) -> list[tuple[dt.date, object]]:
    """A daily series over start..end (every day, ``None`` for a day without data).

    Sources, per metric key (:data:`SERIES_METRICS`):

    - ``posts``, ``views``, ``likes``, ``comments``, ``shares``, ``saves``, ``interactions``,
      ``err`` (ratio of sums, %): posts by their publication day (latest counters);
      ``post_reach``: the largest single-post reach of posts published that day;
    - ``reach`` and ``impressions``: the channels' daily figures (``ChannelDay``, summed over
      channels) on a day that has them — the network's own daily unique reach — and otherwise the
      reach of the posts published that day;
    - ``followers`` (end-of-day, summed over channels), ``gained``, ``lost``, ``profile_visits``,
      ``site_clicks``: ``ChannelDay``;
    - every business counter (``dialogues``, ``leads``, ``lead_magnet_downloads``,
      ``email_subscribers``, ``site_visits``, ``sales``, ``revenue``, ``ad_spend``):
      ``BusinessDay``, summed over the day's rows (project-wide, per channel and per campaign
      rows are parts).
    """
    if metric not in SERIES_METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if metric in POST_SERIES:
        values = _post_series(project, metric, start, end, channel)
    elif metric in CHANNEL_FIRST_SERIES:
        values = _post_series(project, metric, start, end, channel)
        values.update(_table_series(ChannelDay, project, metric, start, end, channel))
    elif metric in CHANNEL_SERIES:
        values = _table_series(ChannelDay, project, metric, start, end, channel)
    else:
        values = _table_series(BusinessDay, project, metric, start, end, channel)
    return [(day, values.get(day)) for day in _days(start, end)]


def total(project, metric: str, start: dt.date, end: dt.date, *, channel=None):
    """The sum of a daily series over the period; ``None`` when no day has data.

    Not meaningful for ``followers``, ``post_reach`` and ``err`` (levels, maxima and rates).
    """
    present = [v for _d, v in series(project, metric, start, end, channel=channel) if v is not None]
    return sum(present) if present else None


# --- funnel -------------------------------------------------------------------------------------


def funnel(project, start: dt.date, end: dt.date) -> list[dict]:
    """Reach → dialogues → leads → sales over the period, each step with its conversion from the
    previous one (:func:`formulas.conversion`, %; ``None`` for the first step or a missing one).

    Reach is the sum of the daily ``reach`` series; dialogues, leads and sales are the business
    days' sums, and when no business day logs dialogues, the channels' dialogues started.
    """
    values = {step: total(project, step, start, end) for step in FUNNEL_STEPS}
    if values["dialogues"] is None:
        values["dialogues"] = _int(
            ChannelDay.objects.filter(project=project, date__gte=start, date__lte=end).aggregate(
                v=Sum("dialogues")
            )["v"]
        )
    steps, previous = [], None
    for step in FUNNEL_STEPS:
        value = values[step]
        steps.append(
            {
                "step": step,
                "label": str(FUNNEL_LABELS[step]),
                "value": value,
                "conversion": formulas.conversion(value, previous) if steps else None,
            }
        )
        previous = value
    return steps


# --- several projects at once -------------------------------------------------------------------


def _brief(row: dict | None) -> dict:
    row = row or {}
    return {
        "posts": row.get("posts", 0),
        "reach": _int(row.get("reach")),
        "interactions": _interactions({name: _int(row.get(name)) for name in REACTIONS}),
        "err": formulas.percent(row.get("_err_num"), row.get("_err_den")),
    }


def compare_projects(projects: Iterable, days: int = 30) -> dict[int, dict]:
    """Posts, reach, interactions and ERR (ratio of sums, %) of each project's last ``days`` days
    (ending today in its own time zone) and of the ``days`` before, in one query.

    Returns ``{project id: {"current": {...}, "previous": {...}, "start": date, "end": date}}``;
    a project without posts in either window still gets both, with ``posts`` 0.
    """
    out: dict[int, dict] = {}
    # Projects whose windows have the same bounds (the same time zone, or one with the same
    # offsets) share one condition, so the query grows with the time zones, not the projects.
    windows: dict[tuple, list[int]] = defaultdict(list)
    zones: dict[str, tuple] = {}  # a time zone's days and bounds, worked out once
    for project in projects:
        if project.timezone not in zones:
            end = today_in(project.timezone)
            start = end - dt.timedelta(days=days - 1)
            before = start - dt.timedelta(days=days)
            lo, mid = local_bounds(project, before, start - dt.timedelta(1))
            zones[project.timezone] = (start, end, (lo, mid, local_bounds(project, start, end)[1]))
        start, end, bounds = zones[project.timezone]
        windows[bounds].append(project.pk)
        out[project.pk] = {"start": start, "end": end, "rows": {}}
    if not windows:
        return {}
    where, current = Q(pk__in=[]), []
    for (lo, mid, hi), pks in windows.items():
        where |= Q(project_id__in=pks, published_at__gte=lo, published_at__lt=hi)
        current.append(When(project_id__in=pks, published_at__gte=mid, then=Value(1)))
    aggs = {
        "posts": Count("pk"),
        "reach": Sum("latest_reach"),
        # interactions: the sum of these (see _interactions), plain sums cheaper to ask for
        **{name: Sum(f"latest_{name}") for name in REACTIONS},
        "_err_num": Sum(_INTERACTIONS, filter=_IN_ERR, output_field=BigIntegerField()),
        "_err_den": Sum("latest_reach", filter=_IN_ERR),
    }
    rows = (
        Post.objects.filter(where)
        .annotate(_current=Case(*current, default=Value(0), output_field=IntegerField()))
        .order_by()
        .values("project_id", "_current")
        .annotate(**aggs)
    )
    for row in rows:
        out[row["project_id"]]["rows"][row["_current"]] = row
    for item in out.values():
        found = item.pop("rows")
        item["current"], item["previous"] = _brief(found.get(1)), _brief(found.get(0))
    return out
