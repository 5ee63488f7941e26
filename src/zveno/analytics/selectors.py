"""Reads for the analytics pages: the period, post rows, key figures, rankings, channel days.

Sums and averages over posts come from ``summary`` and every figure is computed by a named
formula from ``formulas``; what lives here is only what a page needs on top of them (top and
bottom posts, organic vs promoted, expert input vs not, the channel figures). All reads are a
fixed number of queries, however many posts a project has. How the figures are shown (cards,
charts, the heat map, numbers in the language's format) is in ``presentation``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from zveno.analytics import formulas, summary
from zveno.analytics.models import POST_COUNTERS, ChannelDay, Post
from zveno.content.models import ExpertAnswer
from zveno.core.timezones import today_in
from zveno.publishing.models import Network

PRESETS = ("7", "30", "90")
DEFAULT_PRESET = "30"
MAX_DAYS = 366
AVERAGES = ("ratio_of_sums", "mean", "median")
TOP_N = 10


# ---------------------------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """An inclusive range of local dates in the project's time zone, and how it was chosen."""

    start: dt.date
    end: dt.date
    preset: str = DEFAULT_PRESET  # "7", "30", "90", "month" or "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length right before this one."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end, "custom")

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    @property
    def params(self) -> dict[str, str]:
        """The query parameters that choose this period again (for links and CSV downloads)."""
        if self.preset in PRESETS:
            return {"period": self.preset}
        if self.preset == "month":
            return {"month": f"{self.start:%Y-%m}"}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def default_period(project) -> Period:
    today = today_in(project.timezone)
    return Period(today - dt.timedelta(days=int(DEFAULT_PRESET) - 1), today, DEFAULT_PRESET)


def imported_period(batch) -> Period | None:
    """The days an import's rows cover (its last year at most: a page shows no longer period)."""
    if batch.period_start is None or batch.period_end is None:
        return None
    start = max(batch.period_start, batch.period_end - dt.timedelta(days=MAX_DAYS - 1))
    return Period(start, batch.period_end, "custom")


def parse_period(project, params) -> tuple[Period, str]:
    """The period a page's query string asks for, and a message when it could not be read.

    ``period=7|30|90`` (the last days up to today, in the project's time zone), ``month=YYYY-MM``
    or ``from=YYYY-MM-DD&to=YYYY-MM-DD``; nothing or anything unreadable gives the last 30 days.
    """
    today = today_in(project.timezone)
    preset = params.get("period", "")
    if preset in PRESETS:
        return Period(today - dt.timedelta(days=int(preset) - 1), today, preset), ""
    if params.get("month"):
        try:
            first = dt.datetime.strptime(params["month"], "%Y-%m").date()
        except ValueError:
            return default_period(project), _("The month must look like 2026-11.")
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return Period(first, last, "month"), ""
    if params.get("from") or params.get("to"):
        try:
            start = dt.date.fromisoformat(params.get("from", ""))
            end = dt.date.fromisoformat(params.get("to", ""))
        except ValueError:
            message = _("Dates must look like 2026-11-30; showing the last 30 days.")
            return default_period(project), message
        if start > end:
            message = _("The start of the period is after its end; showing the last 30 days.")
            return default_period(project), message
        if (end - start).days + 1 > MAX_DAYS:
            message = _("A period can be at most a year long; showing the last 30 days.")
            return default_period(project), message
        return Period(start, end, "custom"), ""
    return default_period(project), ""


def parse_average(value: str | None) -> str:
    return value if value in AVERAGES else "ratio_of_sums"


# ---------------------------------------------------------------------------------- post rows


@dataclass
class PostRow:
    """One post of the period with the figures the pages show."""

    id: int
    title: str
    url: str
    local_time: dt.datetime
    network: str
    format: str
    rubric: str
    channel_id: int | None
    is_promoted: bool
    expert: bool
    followers: int | None
    counters: dict = field(default_factory=dict)
    interactions: int | None = None
    reach: int | None = None
    views: int | None = None
    err: float | None = None

    @property
    def network_label(self) -> str:
        return str(dict(Network.choices).get(self.network, self.network))


def post_rows(project, period: Period, channel=None) -> list[PostRow]:
    """The period's posts (one query), of one channel if given. A post counts as having the
    expert's input when it is marked so, or when its publication's content item has an answered
    expert request."""
    answered = ExpertAnswer.objects.filter(request__items=OuterRef("publication__item"))
    fields = [f"latest_{name}" for name in POST_COUNTERS]
    rows = (
        summary.posts_in(project, period.start, period.end, channel=channel)
        .annotate(answered=Exists(answered))
        .values(
            "id",
            "title",
            "url",
            "external_id",
            "published_at",
            "network",
            "format",
            "rubric",
            "channel_id",
            "is_promoted",
            "has_expert_input",
            "answered",
            "followers_at_publication",
            *fields,
        )
        .order_by("published_at", "id")
    )
    zone = summary.project_zone(project)
    out = []
    for row in rows:
        counters = {name: row[f"latest_{name}"] for name in POST_COUNTERS}
        # The summary's reaction set (likes + comments + shares), so figures agree across pages.
        interactions = formulas.interactions(counters, summary.REACTIONS)
        err = formulas.err(interactions, counters["reach"])
        out.append(
            PostRow(
                id=row["id"],
                title=row["title"] or row["external_id"],
                url=row["url"],
                local_time=row["published_at"].astimezone(zone),
                network=row["network"],
                format=row["format"],
                rubric=row["rubric"],
                channel_id=row["channel_id"],
                is_promoted=row["is_promoted"],
                expert=row["has_expert_input"] or row["answered"],
                followers=row["followers_at_publication"],
                counters=counters,
                interactions=interactions,
                reach=counters["reach"],
                views=counters["views"],
                err=err,
            )
        )
    return out


def _sum(values) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def group_stats(rows: list[PostRow]) -> dict:
    """Posts, reach, interactions and ERR (three averages) of a group of posts."""
    pairs = [(r.interactions, r.reach) for r in rows]
    reach = _sum(r.reach for r in rows)
    return {
        "posts": len(rows),
        "reach": reach,
        "interactions": _sum(r.interactions for r in rows),
        "reach_per_post": formulas.ratio(reach, len(rows)) if rows else None,
        "err": {how: formulas.average(pairs, how=how) for how in AVERAGES},
    }


# -------------------------------------------------------------------------------- key metrics


def num(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _series_total(project, metric: str, period: Period):
    return num(summary.total(project, metric, period.start, period.end))


def _series_last(project, metric: str, period: Period):
    values = [v for _d, v in summary.series(project, metric, period.start, period.end)]
    present = [v for v in values if v is not None]
    return present[-1] if present else None


def totals(project, period: Period) -> dict:
    """The period's key figures; the overview's cards and the report both read these."""
    s = summary.summarize(project, period.start, period.end)
    out = {
        "posts": s.get("posts"),
        "reach": s.get("reach"),
        "impressions": s.get("impressions"),
        "views": s.get("views"),
        "interactions": s.get("interactions"),
        "err": (s.get("err") or {}).get("ratio_of_sums"),
        "followers": _series_last(project, "followers", period),
    }
    for key in ("dialogues", "leads", "sales", "revenue", "ad_spend"):
        out[key] = _series_total(project, key, period)
    spend = out["ad_spend"]
    if spend:
        out["romi"] = formulas.romi(out["revenue"] or 0, spend)
        out["cpl"] = formulas.cpl(spend, out["leads"]) if out["leads"] else None
    return out


def has_data(project) -> bool:
    return (
        Post.objects.filter(project=project).exists()
        or project.channel_days.exists()
        or project.business_days.exists()
    )


# ---------------------------------------------------------------------------- top and bottom


def min_reach_for(rows: list[PostRow], asked: str | None = None) -> int:
    """Posts below this reach are left out of the ERR ranking: a post seen by 12 people with
    6 likes is not the best post of the month. Default: a tenth of the median reach."""
    if asked and asked.isdigit():
        return int(asked)
    reaches = [r.reach for r in rows if r.reach]
    return int(statistics.median(reaches) / 10) if reaches else 0


def ranked(rows: list[PostRow], by: str = "err", min_reach: int = 0) -> list[PostRow]:
    """Posts with the figure, best first (ties: the larger reach, then the newer post)."""
    if by == "err":
        pool = [r for r in rows if r.err is not None and (r.reach or 0) >= min_reach]
        return sorted(pool, key=lambda r: (-r.err, -(r.reach or 0), -r.id))
    pool = [r for r in rows if r.reach is not None]
    return sorted(pool, key=lambda r: (-r.reach, -r.id))


def top_bottom(rows: list[PostRow], by: str, min_reach: int) -> tuple[list, list]:
    order = ranked(rows, by, min_reach)
    top = order[:TOP_N]
    bottom = list(reversed(order[TOP_N:][-TOP_N:])) if len(order) > TOP_N else []
    return top, bottom


# ------------------------------------------------------------------------ two-group compares


def split(rows: list[PostRow], test) -> tuple[dict, dict]:
    yes = [r for r in rows if test(r)]
    no = [r for r in rows if not test(r)]
    return group_stats(yes), group_stats(no)


# ----------------------------------------------------------------------------------- channels


def channel_days(project, period: Period, channel=None) -> dict[int, list[dict]]:
    """Each channel's days of the period, plus the day before (the followers at the start)."""
    qs = ChannelDay.objects.filter(
        project=project,
        date__gte=period.start - dt.timedelta(days=1),
        date__lte=period.end,
    )
    if channel is not None:
        qs = qs.filter(channel=channel)
    days: dict[int, list[dict]] = defaultdict(list)
    for row in qs.values(
        "channel_id", "date", "followers", "gained", "lost", "reach", "impressions"
    ).order_by("date"):
        days[row["channel_id"]].append(row)
    return days


def _followers_ends(days: list[dict]) -> tuple[int | None, int | None]:
    known = [d for d in days if d["followers"] is not None]
    if not known:
        return None, None
    return known[0]["followers"], known[-1]["followers"]


def is_telegram(channel) -> bool:
    return channel.network == "telegram"


def channel_figures(channel, days: list[dict], posts: list[PostRow], period: Period) -> dict:
    """A channel's figures over the period. Telegram: TGStat's ERR (views per post / subscribers)
    and ER (interactions / views); other networks: ER by followers (ratio of sums)."""
    start, end = _followers_ends(days)
    in_period = [d for d in days if d["date"] >= period.start]
    reach = _sum(d["reach"] for d in in_period)
    if reach is None:
        reach = _sum(p.reach for p in posts)
    interactions = _sum(p.interactions for p in posts)
    figures = {
        "channel": channel,
        "telegram": is_telegram(channel),
        "followers": end,
        "growth": formulas.follower_growth(start, end),
        "gained": _sum(d["gained"] for d in in_period),
        "lost": _sum(d["lost"] for d in in_period),
        "reach": reach,
        "posts": len(posts),
        "er": None,
        "tg_err": None,
        "tg_er": None,
    }
    if figures["telegram"]:
        figures["tg_err"] = formulas.tg_err([p.views for p in posts], end) if posts else None
        figures["tg_er"] = _tg_er(posts)
    elif posts:
        figures["er"] = formulas.er_post(formulas.ratio(interactions, len(posts)), end)
    return figures


def _tg_er(posts: list[PostRow]) -> float | None:
    """TGStat's ER over several posts: Σ(forwards + reactions + comments) / Σ views."""
    pairs = [(formulas.interactions(p.counters, network="telegram"), p.views) for p in posts]
    return formulas.average(pairs, how="ratio_of_sums")


def channel_table(project, period: Period, rows: list[PostRow]) -> list[dict]:
    days = channel_days(project, period)
    by_channel: dict[int, list[PostRow]] = defaultdict(list)
    for row in rows:
        by_channel[row.channel_id].append(row)
    return [
        channel_figures(c, days.get(c.pk, []), by_channel.get(c.pk, []), period)
        for c in project.channels.all()
    ]


def channel_daily(channel, period: Period, rows: list[PostRow], days=None) -> list[dict]:
    """One channel by day: followers, reach (the channel's day, else its posts' reach), and the
    day's ER — by followers (ER day), or Telegram's ERR and ER. ``days``: the channel's
    :func:`channel_days` when the caller has read them already."""
    if days is None:
        days = channel_days(channel.project, period, channel).get(channel.pk, [])
    days = {d["date"]: d for d in days}
    posts_by_day: dict[dt.date, list[PostRow]] = defaultdict(list)
    for row in rows:
        if row.channel_id == channel.pk:
            posts_by_day[row.local_time.date()].append(row)
    out = []
    last_followers = None
    for date in period.dates():
        day = days.get(date) or {}
        posts = posts_by_day.get(date, [])
        followers = day.get("followers")
        if followers is not None:
            last_followers = followers
        interactions = _sum(p.interactions for p in posts)
        reach = day.get("reach")
        if reach is None:
            reach = _sum(p.reach for p in posts)
        entry = {"date": date, "followers": followers, "reach": reach, "posts": len(posts)}
        if is_telegram(channel):
            views = [p.views for p in posts]
            entry["tg_err"] = formulas.tg_err(views, last_followers) if posts else None
            entry["tg_er"] = _tg_er(posts)
        else:
            entry["er_day"] = formulas.er_day(interactions, last_followers) if posts else None
        out.append(entry)
    return out
