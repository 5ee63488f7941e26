"""Every figure Zveno shows, as a named formula (``docs/metrics.md``).

Raw counters are stored; these pure functions turn them into rates. The rules every function keeps:

- **Absent is not zero.** A counter a network does not report is ``None``; a formula whose input is
  missing answers ``None``, never 0.
- **No division by zero.** A zero or missing denominator answers ``None`` (ER of a channel with zero
  followers is "unknown", not infinite and not 0).
- Rates marked "× 100 %" are returned in percent (``2.5`` means 2.5 %); ``frequency`` and the money
  figures (CPM, CPC, CPL, CPA) are plain numbers.
- The things tools disagree on are parameters with documented defaults: the reaction set
  (:data:`NETWORK_REACTIONS`), the denominator (:func:`engagement_rate`) and the way a period is
  averaged (:func:`average`: ratio of sums, mean of per-post ratios, median of per-post ratios).

:data:`FORMULAS` names each formula with its expression and unit, so a page or a report can say
which formula a figure shows.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

Number = int | float | Decimal
Counters = Mapping[str, Number | None]

# --- reaction sets ------------------------------------------------------------------------------

#: The reaction set used when neither a set nor a network is given.
DEFAULT_REACTIONS: tuple[str, ...] = ("likes", "comments", "shares")

#: The default reaction set per network (docs/metrics.md): VK and OK count likes + comments +
#: reposts (+ poll votes); Telegram reactions + comments + forwards (stored as likes and shares);
#: Instagram likes + comments + saves + shares.
NETWORK_REACTIONS: dict[str, tuple[str, ...]] = {
    "vk": ("likes", "comments", "shares", "poll_votes"),
    "odnoklassniki": ("likes", "comments", "shares", "poll_votes"),
    "telegram": ("likes", "comments", "shares"),
    "instagram": ("likes", "comments", "saves", "shares"),
}

#: How a period is averaged (see :func:`average`).
AVERAGING = ("ratio_of_sums", "mean", "median")

#: What an engagement rate may be divided by (see :func:`engagement_rate`).
DENOMINATORS = ("followers", "reach", "views", "impressions")


def reaction_set(network: str | None = None) -> tuple[str, ...]:
    """The default reaction set of a network; :data:`DEFAULT_REACTIONS` for any other."""
    return NETWORK_REACTIONS.get((network or "").lower(), DEFAULT_REACTIONS)


def interactions(
    counters: Counters, reactions: Sequence[str] | None = None, *, network: str | None = None
) -> Number | None:
    """interactions = likes + comments + shares [+ saves] [+ poll votes].

    ``reactions`` names the counters to add; without it, the network's default set
    (:func:`reaction_set`), and without a network likes + comments + shares. Absent counters are
    skipped; when every counter of the set is absent the answer is ``None`` (not 0).
    """
    names = tuple(reactions) if reactions is not None else reaction_set(network)
    parts = [counters.get(name) for name in names]
    present = [value for value in parts if value is not None]
    if not present:
        return None
    return sum(present)


# --- the building blocks ------------------------------------------------------------------------


def ratio(num: Number | None, den: Number | None) -> float | None:
    """num / den as a float; ``None`` when num is missing or den is missing or zero."""
    if num is None or den is None or den == 0:
        return None
    return float(num) / float(den)


def percent(num: Number | None, den: Number | None) -> float | None:
    """num / den × 100 %; ``None`` when :func:`ratio` is ``None``."""
    value = ratio(num, den)
    return None if value is None else value * 100.0


def average(
    pairs: Iterable[tuple[Number | None, Number | None]], how: str = "ratio_of_sums"
) -> float | None:
    """A period's rate, in percent, from per-post (numerator, denominator) pairs.

    - ``ratio_of_sums``: Σ numerators / Σ denominators × 100 % (heavy posts weigh more);
    - ``mean``: the mean of the per-post ratios;
    - ``median``: the median of the per-post ratios (robust to one viral post; "ER dynamics over
      the last 20 posts"); with an even count, the mean of the two middle ratios.

    A pair counts only when its own ratio exists (numerator present, denominator present and
    non-zero), so the three averages always describe the same posts. No such pair → ``None``.
    """
    if how not in AVERAGING:
        raise ValueError(f"unknown averaging {how!r}; expected one of {AVERAGING}")
    kept = [(num, den) for num, den in pairs if ratio(num, den) is not None]
    if not kept:
        return None
    if how == "ratio_of_sums":
        return percent(sum(float(n) for n, _d in kept), sum(float(d) for _n, d in kept))
    ratios = [float(n) / float(d) * 100.0 for n, d in kept]
    if how == "mean":
        return statistics.fmean(ratios)
    return float(statistics.median(ratios))


def engagement_rate(
    counters: Counters,
    *,
    denominator: str = "reach",
    reactions: Sequence[str] | None = None,
    network: str | None = None,
    followers: Number | None = None,
) -> float | None:
    """interactions / denominator × 100 % for one post, the denominator a parameter.

    ``denominator`` is one of followers (ER post: pass ``followers`` at publication time), reach
    (ERR, the default), views (ER view) or impressions. The reaction set is ``reactions``, else the
    network's default.
    """
    if denominator not in DENOMINATORS:
        raise ValueError(f"unknown denominator {denominator!r}; expected one of {DENOMINATORS}")
    den = followers if denominator == "followers" else counters.get(denominator)
    return percent(interactions(counters, reactions, network=network), den)


# --- engagement ---------------------------------------------------------------------------------


def er_post(interactions: Number | None, followers: Number | None) -> float | None:
    """ER post (by followers) = interactions / followers × 100 %.

    Note: followers at the post's publication time.
    """
    return percent(interactions, followers)


def er_day(interactions_of_day: Number | None, followers: Number | None) -> float | None:
    """ER day = interactions of the day / followers × 100 %.

    Note: more posts a day raise it; compare days with the same number of posts.
    """
    return percent(interactions_of_day, followers)


def er_view(interactions: Number | None, views: Number | None) -> float | None:
    """ER view = interactions / views × 100 %."""
    return percent(interactions, views)


def err(interactions: Number | None, reach: Number | None) -> float | None:
    """ERR (by reach) = interactions / reach × 100 %.

    Note: reach is unique accounts; not the Telegram ERR (see :func:`tg_err`).
    """
    return percent(interactions, reach)


def love_rate(likes: Number | None, followers: Number | None) -> float | None:
    """Love rate = likes / followers × 100 %."""
    return percent(likes, followers)


def talk_rate(comments: Number | None, followers: Number | None) -> float | None:
    """Talk rate = comments / followers × 100 %."""
    return percent(comments, followers)


def amplification_rate(shares: Number | None, followers: Number | None) -> float | None:
    """Amplification rate = shares / followers × 100 %."""
    return percent(shares, followers)


def virality_rate(shares: Number | None, impressions: Number | None) -> float | None:
    """Virality rate = shares / impressions × 100 %."""
    return percent(shares, impressions)


def reach_rate(reach: Number | None, followers: Number | None) -> float | None:
    """Reach rate = reach / followers × 100 %."""
    return percent(reach, followers)


def frequency(impressions: Number | None, reach: Number | None) -> float | None:
    """Frequency = impressions / reach.

    Note: not a percentage — how many times an account saw the post on average.
    """
    return ratio(impressions, reach)


# --- Telegram (TGStat) --------------------------------------------------------------------------


def tg_err(
    views: Number | Iterable[Number | None] | None, subscribers: Number | None
) -> float | None:
    """Telegram ERR = average post views / subscribers × 100 % (TGStat).

    ``views`` is the average views of the period's posts (TGStat: the last 30 days; ERR24 counts
    only the first 24 hours' views) or the per-post views to average (absent views skipped).
    Note: a Telegram figure; never mixed with the follower-based ER.
    """
    if views is not None and not isinstance(views, int | float | Decimal):
        present = [float(v) for v in views if v is not None]
        views = statistics.fmean(present) if present else None
    return percent(views, subscribers)


def tg_er(counters: Counters) -> float | None:
    """Telegram ER = (forwards + reactions + comments) / views × 100 % (TGStat), for one post.

    Reactions are stored as ``likes`` and forwards as ``shares``. Note: by views, not followers.
    """
    return percent(interactions(counters, NETWORK_REACTIONS["telegram"]), counters.get("views"))


# --- audience -----------------------------------------------------------------------------------


def follower_growth(followers_start: Number | None, followers_end: Number | None) -> float | None:
    """Follower growth rate = (followers_end − followers_start) / followers_start × 100 %."""
    if followers_end is None or followers_start is None:
        return None
    return percent(followers_end - followers_start, followers_start)


def churn(lost: Number | None, followers_start: Number | None) -> float | None:
    """Churn = followers lost / followers at start × 100 %."""
    return percent(lost, followers_start)


# --- money and funnel ---------------------------------------------------------------------------


def ctr(clicks: Number | None, impressions: Number | None) -> float | None:
    """CTR = clicks / impressions × 100 %."""
    return percent(clicks, impressions)


def cpm(spend: Number | None, impressions: Number | None) -> float | None:
    """CPM = spend / impressions × 1000 (money per thousand impressions)."""
    value = ratio(spend, impressions)
    return None if value is None else value * 1000.0


def cpc(spend: Number | None, clicks: Number | None) -> float | None:
    """CPC = spend / clicks (money per click)."""
    return ratio(spend, clicks)


def cpl(spend: Number | None, leads: Number | None) -> float | None:
    """CPL = spend / leads (money per lead)."""
    return ratio(spend, leads)


def cpa(spend: Number | None, actions: Number | None) -> float | None:
    """CPA = spend / actions (money per action: a sale, a sign-up)."""
    return ratio(spend, actions)


def romi(revenue: Number | None, spend: Number | None) -> float | None:
    """ROMI = (revenue − spend) / spend × 100 %."""
    if revenue is None or spend is None:
        return None
    return percent(revenue - spend, spend)


def roas(revenue: Number | None, spend: Number | None) -> float | None:
    """ROAS = revenue / spend × 100 % (300 % means three roubles back per rouble spent)."""
    return percent(revenue, spend)


def conversion(step: Number | None, previous: Number | None) -> float | None:
    """Funnel conversion = step / previous step × 100 % (reach → dialogues → leads → sales)."""
    return percent(step, previous)


# --- the registry -------------------------------------------------------------------------------

PERCENT = "%"
NUMBER = ""
MONEY = "money"


@dataclass(frozen=True)
class Formula:
    """A named formula: what a page or a report prints next to a figure."""

    key: str
    name: str | Promise
    expression: str | Promise
    unit: str  # "%" (percent), "" (a plain number) or "money"
    func: Callable[..., float | None]
    note: str | Promise = ""


def _f(key, name, expression, unit, func, note=""):
    return key, Formula(key, name, expression, unit, func, note)


FORMULAS: dict[str, Formula] = dict(
    [
        _f("er_post", _("ER post (by followers)"), _("interactions / followers × 100 %"),
           PERCENT, er_post, _("followers at publication time")),
        _f("er_day", _("ER day"), _("interactions of the day / followers × 100 %"),
           PERCENT, er_day, _("more posts a day raise it")),
        _f("er_view", _("ER view"), _("interactions / views × 100 %"), PERCENT, er_view),
        _f("err", _("ERR (by reach)"), _("interactions / reach × 100 %"), PERCENT, err),
        _f("love_rate", _("Love rate"), _("likes / followers × 100 %"), PERCENT, love_rate),
        _f("talk_rate", _("Talk rate"), _("comments / followers × 100 %"), PERCENT, talk_rate),
        _f("amplification_rate", _("Amplification rate"), _("shares / followers × 100 %"),
           PERCENT, amplification_rate),
        _f("virality_rate", _("Virality rate"), _("shares / impressions × 100 %"),
           PERCENT, virality_rate),
        _f("reach_rate", _("Reach rate"), _("reach / followers × 100 %"), PERCENT, reach_rate),
        _f("frequency", pgettext_lazy("metric", "Frequency"), _("impressions / reach"), NUMBER,
           frequency, _("not a percentage")),
        _f("tg_err", _("ERR (Telegram)"), _("average post views / subscribers × 100 %"),
           PERCENT, tg_err, _("TGStat convention, over the last 30 days")),
        _f("tg_er", _("ER (Telegram)"), _("(forwards + reactions + comments) / views × 100 %"),
           PERCENT, tg_er, _("TGStat convention")),
        _f("follower_growth", _("Follower growth"),
           _("(followers at end − followers at start) / followers at start × 100 %"),
           PERCENT, follower_growth),
        _f("churn", _("Churn"), _("followers lost / followers at start × 100 %"), PERCENT, churn),
        _f("ctr", _("CTR"), _("clicks / impressions × 100 %"), PERCENT, ctr),
        _f("cpm", _("CPM"), _("ad spend / impressions × 1000"), MONEY, cpm),
        _f("cpc", _("CPC"), _("ad spend / clicks"), MONEY, cpc),
        _f("cpl", _("CPL"), _("ad spend / leads"), MONEY, cpl),
        _f("cpa", _("CPA"), _("ad spend / actions"), MONEY, cpa),
        _f("romi", _("ROMI"), _("(revenue − ad spend) / ad spend × 100 %"), PERCENT, romi),
        _f("roas", _("ROAS"), _("revenue / ad spend × 100 %"), PERCENT, roas),
        _f("conversion", _("Conversion"), _("step / previous step × 100 %"), PERCENT, conversion),
    ]
)  # fmt: skip

#: How each averaging is named on pages and in reports.
AVERAGING_NAMES = {
    "ratio_of_sums": _("ratio of sums"),
    "mean": _("mean of per-post values"),
    "median": _("median of per-post values"),
}
