"""Analytics as the pages show it: the key-metric cards, the heat map, the charts (each with
its table and the formula it shows), and numbers in the language's format (``fmt``, which the
reports' ``report_tags`` use too). The figures themselves come from ``selectors``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.analytics import formulas, summary
from zveno.analytics.selectors import (
    AVERAGES,
    Period,
    PostRow,
    channel_daily,
    channel_table,
    is_telegram,
    num,
    split,
    totals,
)

# -------------------------------------------------------------------------------- key metrics

KEY_METRICS = [
    # key, label, unit, which way is good (1 up, -1 down, 0 neither), formula key
    ("posts", gettext_lazy("Posts"), "", 0, ""),
    ("reach", gettext_lazy("Post reach"), "", 1, "reach"),
    ("impressions", gettext_lazy("Impressions"), "", 1, "impressions"),
    ("interactions", gettext_lazy("Interactions"), "", 1, "interactions"),
    ("err", gettext_lazy("ERR"), "%", 1, "err"),
    ("followers", gettext_lazy("Followers"), "", 1, "followers"),
    ("dialogues", gettext_lazy("Dialogues"), "", 1, ""),
    ("leads", gettext_lazy("Leads"), "", 1, ""),
    ("sales", gettext_lazy("Sales"), "", 1, ""),
    ("revenue", gettext_lazy("Revenue"), "₽", 1, ""),
    ("ad_spend", gettext_lazy("Ad spend"), "₽", 0, ""),
    ("romi", gettext_lazy("ROMI"), "%", 1, "romi"),
    ("cpl", gettext_lazy("CPL"), "₽", -1, "cpl"),
]


def change(current, previous) -> float | None:
    """Change against the previous period in percent; None when there is nothing to compare."""
    if current is None or not previous:
        return None
    return (float(current) - float(previous)) / abs(float(previous)) * 100


def _card_value(value, unit: str) -> str:
    if unit == "₽":
        return "—" if value is None else f"{fmt(round(float(value)))} ₽"
    return fmt(value, percent=unit == "%")


def key_metrics(project, period: Period) -> list[dict]:
    """The overview's cards: value, previous period's value, change and its colour."""
    now, before = totals(project, period), totals(project, period.previous())
    cards = []
    for key, label, unit, good, formula in KEY_METRICS:
        if key in ("romi", "cpl") and key not in now:
            continue  # only when there is ad spend
        value, previous = num(now.get(key)), num(before.get(key))
        delta = change(value, previous)
        tone = ""
        if delta and good:
            tone = "up" if delta * good > 0 else "down"
        cards.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "value": value,
                "previous": previous,
                "change": delta,
                "tone": tone,
                "display": _card_value(value, unit),
                "previous_display": _card_value(previous, unit),
                "formula": formulas.FORMULAS.get(formula) if formula else None,
            }
        )
    return cards


# ----------------------------------------------------------------------------------- heat map

WEEKDAYS = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]
HEAT_METRICS = ("err", "reach")


def heat_map(rows: list[PostRow], metric: str = "err") -> dict:
    """Weekday x hour (local time): posts, median ERR and median reach per cell; the best cell.

    Medians, because one viral post should not paint its hour as the best time to post.
    """
    cells: dict[tuple[int, int], list[PostRow]] = defaultdict(list)
    for row in rows:
        cells[(row.local_time.weekday(), row.local_time.hour)].append(row)
    stats = {}
    for key, group in cells.items():
        errs = [r.err for r in group if r.err is not None]
        reaches = [r.reach for r in group if r.reach is not None]
        stats[key] = {
            "weekday": key[0],
            "hour": key[1],
            "posts": len(group),
            "err": statistics.median(errs) if errs else None,
            "reach": statistics.median(reaches) if reaches else None,
        }
    scored = [c for c in stats.values() if c[metric] is not None]
    best = max(scored, key=lambda c: (c[metric], c["posts"]), default=None)
    top = best[metric] if best else None
    hours = sorted({h for _w, h in stats}) or []
    if hours:
        hours = list(range(min(hours), max(hours) + 1))
    grid = []
    for weekday in range(7):
        line = []
        for hour in hours:
            cell = stats.get((weekday, hour))
            level = 0
            if cell and cell[metric] is not None and top:
                level = 1 + min(4, int(cell[metric] / top * 5 - 1e-9)) if cell[metric] > 0 else 1
            line.append({"hour": hour, "cell": cell, "level": level})
        grid.append({"weekday": weekday, "label": WEEKDAYS[weekday], "cells": line})
    if best:
        best = {
            **best,
            "err_text": fmt(best["err"], percent=True),
            "reach_text": fmt(best["reach"]),
        }
    return {
        "metric": metric,
        "hours": hours,
        "grid": grid,
        "cells": sorted(stats.values(), key=lambda c: (c["weekday"], c["hour"])),
        "best": best,
    }


# ------------------------------------------------------------------------ two-group compares


def times(value: float | None) -> str:
    """2.345 → "2,3×" in Russian (the locale's decimal mark)."""
    if value is None:
        return "—"
    return f"{_number(value, 1)}×"


def expert_lesson(with_expert: dict, without: dict, how: str = "ratio_of_sums") -> str:
    """One sentence: how the expert's material changes ERR and reach, from the data."""
    a, b = with_expert["err"][how], without["err"][how]
    if not with_expert["posts"] or not without["posts"]:
        return _("Not enough posts to compare yet: the period needs posts with and without it.")
    if a is None or b is None:
        return _("The posts have no reach figures yet, so ERR cannot be compared.")
    if b == 0 or round(a / b, 1) == 1:
        return _("Posts with the expert's material and without it have about the same ERR.")
    values = {"factor": times(a / b), "reach": ""}
    reach_a, reach_b = with_expert["reach_per_post"], without["reach_per_post"]
    if reach_a and reach_b and round(reach_a / reach_b, 1) != 1:
        values["reach"] = _(" and %(times)s the reach per post") % {
            "times": times(reach_a / reach_b)
        }
    if a > b:
        return _("Posts with the expert's material get %(factor)s the ERR%(reach)s.") % values
    return (
        _(
            "Posts with the expert's material get only %(factor)s the ERR of the others%(reach)s: "
            "worth asking the expert for other kinds of material."
        )
        % values
    )


# ------------------------------------------------------------------------------------- charts


@dataclass
class Chart:
    """What a chart block shows: the same rows drive the canvas, the table and the CSV.

    ``plot`` names the columns drawn (by index) and ``kind`` the Chart.js type; ``formula`` is
    the caption saying which formula the figures follow.
    """

    key: str
    title: str
    kind: str  # "line", "bar", "hbar", "heatmap", "table"
    formula: str
    columns: list[str]
    rows: list[list]
    plot: list[int] = field(default_factory=list)
    percent_columns: tuple[int, ...] = ()
    params: dict = field(default_factory=dict)  # extra query parameters of the CSV link
    extra: dict = field(default_factory=dict)
    csv_url: str = ""
    from_zero: bool = True  # the value axis starts at zero (not for levels like followers)

    @property
    def dom_id(self) -> str:
        return f"chart-{self.key}"

    def cells(self) -> list[list[str]]:
        """The rows as the table view prints them (numbers grouped the locale's way)."""
        return [
            [fmt(v, percent=i in self.percent_columns) for i, v in enumerate(row)]
            for row in self.rows
        ]

    @property
    def empty(self) -> bool:
        return not self.rows

    def config(self) -> dict:
        """The data the page's script draws from (through ``json_script``)."""
        return {
            "kind": self.kind,
            "fromZero": self.from_zero,
            "labels": [str(r[0]) for r in self.rows],
            "datasets": [
                {
                    "label": str(self.columns[i]),
                    "data": [_plain(r[i]) for r in self.rows],
                    "percent": i in self.percent_columns,
                }
                for i in self.plot
            ],
        }


def _number(value, decimals: int) -> str:
    """Rounded half up first: Django's number_format cuts the extra digits off."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimals, use_l10n=True, force_grouping=True)


def fmt(value, percent: bool = False, money: bool = False) -> str:
    """A figure as pages print it: "—" for absent, grouped thousands, one decimal for rates."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if percent:
        return f"{_number(value, 1)} %"
    if isinstance(value, float | Decimal) and (money or value != int(value)):
        return _number(value, 2 if money else 1)
    return _number(value, 0)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 2)
    return value


def formula_caption(*keys: str, average: str | None = None) -> str:
    """ "ERR (by reach) = interactions / reach × 100 %, ratio of sums" for the chart captions."""
    parts = []
    for key in keys:
        f = formulas.FORMULAS.get(key)
        if f is not None:
            parts.append(f"{f.name} = {f.expression}")
    text = "; ".join(parts)
    if average:
        text += f" ({formulas.AVERAGING_NAMES[average]})"
    return text


REACH_NOTE = gettext_lazy("Reach: the sum of the posts' reach by publication day")
INTERACTIONS_NOTE = gettext_lazy("interactions = likes + comments + shares")


def daily_chart(project, period: Period) -> Chart:
    reach = dict(summary.series(project, "reach", period.start, period.end))
    inter = dict(summary.series(project, "interactions", period.start, period.end))
    rows = [[d.isoformat(), reach.get(d), inter.get(d)] for d in period.dates()]
    if all(r[1] is None and r[2] is None for r in rows):
        rows = []
    return Chart(
        key="daily",
        title=_("Reach and interactions by day"),
        kind="line",
        formula=f"{REACH_NOTE}; {INTERACTIONS_NOTE}",
        columns=[_("Date"), _("Reach"), _("Interactions")],
        rows=rows,
        plot=[1, 2],
    )


def funnel_chart(project, period: Period) -> Chart:
    steps = summary.funnel(project, period.start, period.end)
    rows = [[s["label"], num(s["value"]), s.get("conversion")] for s in steps]
    if all(r[1] in (None, 0) for r in rows):
        rows = []
    return Chart(
        key="funnel",
        title=_("Funnel: reach → dialogues → leads → sales"),
        kind="hbar",
        formula=formula_caption("conversion"),
        columns=[_("Step"), _("Value"), _("Conversion from the previous step, %")],
        rows=rows,
        plot=[1],
        percent_columns=(2,),
    )


GROUPS = {
    "rubric": gettext_lazy("By rubric"),
    "format": gettext_lazy("By format"),
    "media_type": gettext_lazy("By media type"),
    "network": gettext_lazy("By network"),
}


def breakdown_chart(project, period: Period, group_by: str, average: str) -> Chart:
    groups = summary.summarize(project, period.start, period.end, group_by=group_by)
    rows = [
        [
            str(g.get("label") or g.get("key") or _("(none)")),
            g.get("posts"),
            g.get("reach"),
            g.get("interactions"),
            (g.get("err") or {}).get(average),
        ]
        for g in groups
    ]
    rows.sort(key=lambda r: -(r[4] or -1))
    return Chart(
        key=group_by,
        title=str(GROUPS[group_by]),
        kind="bar",
        formula=formula_caption("err", average=average),
        columns=[_("Group"), _("Posts"), _("Reach"), _("Interactions"), _("ERR, %")],
        rows=rows,
        plot=[4],
        percent_columns=(4,),
        params={"avg": average},
    )


def heat_chart(rows: list[PostRow], metric: str) -> Chart:
    heat = heat_map(rows, metric)
    table = [
        [str(WEEKDAYS[c["weekday"]]), f"{c['hour']:02d}:00", c["posts"], c["err"], c["reach"]]
        for c in heat["cells"]
    ]
    caption = (
        formula_caption("err", average="median")
        if metric == "err"
        else _("Reach: the median of the cell's posts")
    )
    return Chart(
        key="heatmap",
        title=_("Best time to post: weekday × hour"),
        kind="heatmap",
        formula=caption,
        columns=[_("Weekday"), _("Hour"), _("Posts"), _("Median ERR, %"), _("Median reach")],
        rows=table,
        percent_columns=(3,),
        params={"heat": metric},
        extra=heat,
    )


def posts_chart(key: str, title: str, posts: list[PostRow], min_reach: int = 0) -> Chart:
    rows = [
        [
            p.local_time.strftime("%Y-%m-%d %H:%M"),
            p.title,
            p.network,
            p.reach,
            p.interactions,
            p.err,
        ]
        for p in posts
    ]
    return Chart(
        key=key,
        title=title,
        kind="table",
        formula=formula_caption("err"),
        columns=[
            _("Published"),
            _("Post"),
            _("Network"),
            _("Reach"),
            _("Interactions"),
            _("ERR, %"),
        ],
        rows=rows,
        percent_columns=(5,),
        params={"min_reach": str(min_reach)} if min_reach else {},
        extra={"posts": posts},
    )


def compare_chart(key: str, title: str, groups: list[tuple[str, dict]], average: str) -> Chart:
    rows = [
        [label, g["posts"], g["reach"], g["reach_per_post"], g["err"][average]]
        for label, g in groups
    ]
    if all(not r[1] for r in rows):
        rows = []
    return Chart(
        key=key,
        title=title,
        kind="bar",
        formula=formula_caption("err", average=average),
        columns=[_("Group"), _("Posts"), _("Reach"), _("Reach per post"), _("ERR, %")],
        rows=rows,
        plot=[4],
        percent_columns=(4,),
        params={"avg": average},
    )


def promoted_chart(rows: list[PostRow], average: str) -> Chart:
    promoted, organic = split(rows, lambda r: r.is_promoted)
    chart = compare_chart(
        "promoted",
        _("Organic vs promoted"),
        [(_("Organic"), organic), (_("Promoted"), promoted)],
        average,
    )
    return chart


def _round(value):
    return None if value is None else round(value)


def _side_by_side(a: dict, b: dict) -> list[dict]:
    """The team page's table: each figure with and without the expert, and how many times."""
    lines = [
        ("posts", _("Posts"), a["posts"], b["posts"], False),
        ("reach", _("Reach"), a["reach"], b["reach"], False),
        (
            "reach_per_post",
            _("Reach per post"),
            _round(a["reach_per_post"]),
            _round(b["reach_per_post"]),
            False,
        ),
    ]
    for how in AVERAGES:
        label = f"ERR, {formulas.AVERAGING_NAMES[how]}"
        lines.append((f"err_{how}", label, a["err"][how], b["err"][how], True))
    out = []
    for key, label, x, y, pct in lines:
        factor = formulas.ratio(x, y)
        out.append(
            {
                "key": key,
                "label": label,
                "with": fmt(x, percent=pct),
                "without": fmt(y, percent=pct),
                "factor": times(factor),
            }
        )
    return out


def expert_chart(rows: list[PostRow], average: str) -> Chart:
    with_expert, without = split(rows, lambda r: r.expert)
    chart = compare_chart(
        "expert",
        _("With the expert's material vs without"),
        [(_("With the expert's material"), with_expert), (_("Without it"), without)],
        average,
    )
    chart.extra = {
        "with": with_expert,
        "without": without,
        "lesson": expert_lesson(with_expert, without, average),
        "compare": _side_by_side(with_expert, without),
    }
    return chart


def channels_chart(project, period: Period, rows: list[PostRow]) -> Chart:
    table = channel_table(project, period, rows)
    data = [
        [
            f["channel"].name,
            f["followers"],
            f["growth"],
            f["reach"],
            f["posts"],
            f["er"],
            f["tg_err"],
            f["tg_er"],
        ]
        for f in table
    ]
    return Chart(
        key="channels",
        title=_("Reach by channel"),
        kind="bar",
        formula=formula_caption("follower_growth", "er_post", "tg_err", "tg_er"),
        columns=[
            _("Channel"),
            _("Followers"),
            _("Growth, %"),
            _("Reach"),
            _("Posts"),
            _("ER by followers, %"),
            _("ERR (Telegram), %"),
            _("ER (Telegram), %"),
        ],
        rows=data,
        plot=[3],
        percent_columns=(2, 5, 6, 7),
        extra={"channels": table},
    )


def channel_charts(channel, period: Period, rows: list[PostRow], days=None) -> list[Chart]:
    days = channel_daily(channel, period, rows, days)
    params = {"channel": str(channel.pk)}
    dates = [d["date"].isoformat() for d in days]
    charts = [
        Chart(
            key="channel_followers",
            title=_("Followers"),
            kind="line",
            formula=_("Followers at the end of each day")
            + "; "
            + formula_caption("follower_growth"),
            columns=[_("Date"), _("Followers")],
            rows=[[d, day["followers"]] for d, day in zip(dates, days, strict=True)],
            plot=[1],
            params=params,
            from_zero=False,
        ),
        Chart(
            key="channel_reach",
            title=_("Reach"),
            kind="bar",
            formula=_("The channel's reach of the day, else the sum of its posts' reach"),
            columns=[_("Date"), _("Reach"), _("Posts")],
            rows=[[d, day["reach"], day["posts"]] for d, day in zip(dates, days, strict=True)],
            plot=[1],
            params=params,
        ),
    ]
    if is_telegram(channel):
        charts.append(
            Chart(
                key="channel_er",
                title=_("ERR and ER (Telegram)"),
                kind="line",
                formula=formula_caption("tg_err", "tg_er"),
                columns=[_("Date"), _("ERR (Telegram), %"), _("ER (Telegram), %")],
                rows=[[d, day["tg_err"], day["tg_er"]] for d, day in zip(dates, days, strict=True)],
                plot=[1, 2],
                percent_columns=(1, 2),
                params=params,
            )
        )
    else:
        charts.append(
            Chart(
                key="channel_er",
                title=_("ER day"),
                kind="line",
                formula=formula_caption("er_day"),
                columns=[_("Date"), _("ER day, %")],
                rows=[[d, day["er_day"]] for d, day in zip(dates, days, strict=True)],
                plot=[1],
                percent_columns=(1,),
                params=params,
            )
        )
    for chart in charts:
        if all(all(v is None or v == 0 for v in r[1:]) for r in chart.rows):
            chart.rows = []
    return charts
