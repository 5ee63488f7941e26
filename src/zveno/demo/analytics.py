"""The demo's metric histories: the seed's four cases told in numbers, and their goals.

Each case gets a channel day per social channel per day (followers, reach, impressions), a
business day per day (dialogues, leads, lead magnets, e-mails, site visits, sales, revenue) and
posts with snapshots — one per published publication of the content demo, linked to it, and a
regular history before that. The goals drafted from each playbook are given windows that make the
seed's results show, activated and evaluated:

- case 1 (realtor-msk): flat — reach, ERR and dialogues do not move; the goals are at risk;
- case 2 (realtor-kazan): reach and ERR up several-fold, "one post's reach over 500" reached;
- case 3 (course-launch), the launch: in the last 14 days against the 14 before — reach ×5,
  dialogues ×3, lead magnets and e-mails ×2, and 6.5 M RUB of sales; all reached;
- case 3, first phase (course-launch-solo): growth, but the ×5 / ×3 goals are at risk;
- case 4 (sofa-shop): site visits +281 % over the quarter without ad spend.

Deterministic (a seeded random generator) and written with bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from zveno.analytics.models import (
    POST_COUNTERS,
    BusinessDay,
    ChannelDay,
    Post,
    PostSnapshot,
    Source,
)
from zveno.analytics.services import goals as goal_services
from zveno.content.models import Publication

SOCIAL = ("telegram", "instagram", "vk", "youtube", "dzen")
SEED = 20221101
LAUNCH_DAYS = 14  # "reach ×5 against the previous 14 days"
LAUNCH_GOALS = ("reach", "dialogues", "lead_magnet_downloads", "email_subscribers", "revenue")
PRICE = 30_000  # the course, RUB
LAUNCH_SALES = 218  # 218 × 30 000 = 6 540 000 RUB in the launch's two weeks


@dataclass
class Case:
    """One project's story: levels of each daily figure at day offsets (0 = today), joined
    linearly, with noise; ``exact`` fixes the ratio of a window's sum to its baseline's."""

    history: int  # days of history before today
    reach: dict
    er: dict  # ERR of posts (%), by offset
    followers: dict  # the channels' total, by offset
    business: dict = field(default_factory=dict)  # counter -> levels
    exact: dict = field(default_factory=dict)  # counter -> (window start offset, days, ratio)
    post_every: int = 2  # a post per channel every N days
    expert_share: float = 0.2  # share of posts with the expert's material
    post_reach: tuple[int, int] = (150, 400)
    goals: dict = field(default_factory=dict)  # metric -> (starts offset or None, window days)
    extra_goals: tuple = ()
    noise: float = 0.12


def _cases() -> dict[str, Case]:
    launch = -LAUNCH_DAYS
    return {
        "realtor-msk": Case(
            history=150,
            reach={-150: 900, -1: 930},
            er={-150: 1.8, -1: 1.7},
            followers={-150: 2600, -1: 2680},
            business={"dialogues": {-150: 1.0, -1: 1.0}, "leads": {-150: 0.25, -1: 0.25}},
            post_every=3,
            expert_share=0.03,
            goals={
                "reach": (None, None),
                "er_reach": (None, None),
                "dialogues": (None, None),
                "leads": (-20, None),
            },
        ),
        "realtor-kazan": Case(
            history=150,
            reach={-150: 600, -61: 650, -45: 2200, -20: 4200, -1: 4800},
            er={-150: 1.5, -61: 1.5, -40: 3.2, -1: 4.4},
            followers={-150: 1800, -61: 1900, -1: 4100},
            business={
                "dialogues": {-150: 0.5, -61: 0.5, -30: 2.0, -1: 3.0},
                "leads": {-150: 0.2, -61: 0.2, -30: 0.7, -1: 0.9},
            },
            post_every=2,
            expert_share=0.7,
            post_reach=(180, 460),
            goals={
                "reach": (None, None),
                "er_reach": (None, None),
                "dialogues": (None, None),
                "leads": (-29, None),
            },
            extra_goals=(("Охват публикации больше 500", "post_reach", "absolute", 500, 30, -29),),
        ),
        "course-launch": Case(
            history=60,
            reach={-60: 1900, launch - 1: 2100, launch: 8000, -7: 12500, -1: 14000},
            er={-60: 2.4, launch - 1: 2.6, launch: 3.8, -1: 4.5},
            followers={-60: 9000, launch - 1: 9800, -1: 16500},
            business={
                "dialogues": {-60: 14, launch - 1: 16, launch: 40, -1: 60},
                "lead_magnet_downloads": {-60: 38, launch - 1: 42, launch: 80, -1: 100},
                "email_subscribers": {-60: 28, launch - 1: 32, launch: 60, -1: 75},
                "leads": {-60: 5, launch - 1: 6, launch: 20, -1: 30},
                "site_visits": {-60: 300, launch - 1: 320, launch: 900, -1: 1300},
            },
            exact={
                "reach": 5.4,
                "dialogues": 3.2,
                "lead_magnet_downloads": 2.25,
                "email_subscribers": 2.15,
            },
            post_every=1,
            expert_share=0.5,
            post_reach=(400, 1600),
            goals=dict.fromkeys(LAUNCH_GOALS, (launch, LAUNCH_DAYS)),
        ),
        "course-launch-solo": Case(
            history=60,
            reach={-60: 1900, -15: 2000, -1: 2900},
            er={-60: 2.4, -1: 2.7},
            followers={-60: 9000, -1: 9900},
            business={
                "dialogues": {-60: 14, -15: 15, -1: 22},
                "lead_magnet_downloads": {-60: 38, -1: 50},
                "email_subscribers": {-60: 28, -1: 36},
                "leads": {-60: 5, -1: 8},
                "sales": {-60: 0, -10: 0, -7: 2, -1: 3},
            },
            post_every=2,
            expert_share=0.15,
            post_reach=(300, 900),
            goals={"reach": (-14, None), "dialogues": (-14, None), "revenue": (-7, None)},
        ),
        "sofa-shop": Case(
            history=180,
            reach={-180: 1400, -91: 1500, -60: 2600, -1: 5000},
            er={-180: 2.6, -91: 2.7, -1: 3.6},
            followers={-180: 3900, -91: 4100, -1: 5600},
            business={
                "site_visits": {-180: 40, -91: 42, -60: 100, -30: 170, -1: 230},
                "sales": {-180: 0.4, -91: 0.45, -30: 0.8, -1: 0.9},
                "dialogues": {-180: 2, -1: 4},
            },
            exact={"site_visits": 3.81},  # +281 %
            post_every=2,
            expert_share=0.2,
            post_reach=(250, 900),
            goals={
                "site_visits": (-90, None),
                "reach": (-90, None),
                "followers": (-90, None),
                "er_reach": (-29, None),
                "sales": (-29, None),
            },
        ),
    }


def _level(points: dict, offset: int) -> float:
    """Linear between the given offsets, flat outside them."""
    keys = sorted(points)
    if offset <= keys[0]:
        return float(points[keys[0]])
    if offset >= keys[-1]:
        return float(points[keys[-1]])
    for a, b in itertools.pairwise(keys):
        if a <= offset <= b:
            if b == a:
                return float(points[b])
            return points[a] + (points[b] - points[a]) * (offset - a) / (b - a)
    return float(points[keys[-1]])  # pragma: no cover


def _integers(values: list[float], total: int) -> list[int]:
    """Whole numbers in the same proportions as ``values`` that add up to ``total`` exactly."""
    s = sum(values)
    if s <= 0:
        return [0] * len(values)
    raw = [v * total / s for v in values]
    out = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _series(rng, points: dict, offsets: list[int], noise: float) -> list[float]:
    return [max(_level(points, o) * (1 + rng.uniform(-noise, noise)), 0.0) for o in offsets]


def _counts(rng, points, offsets, noise, exact_ratio=None, window=None) -> list[int]:
    """A daily count series; with ``exact_ratio`` the window's sum is that multiple of the
    equally long baseline just before it (rounded to a whole number)."""
    values = _series(rng, points, offsets, noise)
    if exact_ratio is None:
        return _round_carry(values)
    start, days = window
    ins = [i for i, o in enumerate(offsets) if start <= o < start + days]
    base = [i for i, o in enumerate(offsets) if start - days <= o < start]
    rest = [i for i in range(len(offsets)) if i not in set(ins)]
    out = [0] * len(offsets)
    rest_ints = _round_carry([values[i] for i in rest])
    for i, v in zip(rest, rest_ints, strict=True):
        out[i] = v
    baseline_total = sum(out[i] for i in base)
    window_ints = _integers([values[i] for i in ins], round(baseline_total * exact_ratio) + 1)
    for i, v in zip(ins, window_ints, strict=True):
        out[i] = v
    return out


def _round_carry(values: list[float]) -> list[int]:
    """Rounds small daily rates (0.25 leads a day) without losing them: carries the fraction."""
    out, carry = [], 0.0
    for v in values:
        carry += v
        whole = math.floor(carry)
        out.append(whole)
        carry -= whole
    return out


def load(
    workspace,
    users: dict,
    today: dt.date,
    only: str | None = None,
    rng: random.Random | None = None,
) -> None:
    """Every case's history and goals, or only the project ``only`` (one step of the loading;
    the steps share ``rng`` in the projects' order, so the figures are those of one pass)."""
    rng = rng or random_source()
    owner = users["demo"]
    cases = _cases()
    projects = workspace.projects.select_related("workspace").order_by("pk")
    for project in projects.filter(slug=only) if only else projects:
        case = cases.get(project.slug)
        if case is None:
            continue
        _history(project, case, today, rng)
        _goals(owner, project, case, today)


def random_source() -> random.Random:
    return random.Random(SEED)


# --- histories ----------------------------------------------------------------------------------


def _history(project, case: Case, today: dt.date, rng: random.Random) -> None:
    offsets = list(range(-case.history, 0))
    days = [today + dt.timedelta(days=o) for o in offsets]
    channels = [c for c in project.channels.filter(is_active=True) if c.network in SOCIAL]
    launch_window = (-LAUNCH_DAYS, LAUNCH_DAYS)
    windows = {"site_visits": (-90, 90)}
    reach = _counts(rng, case.reach, offsets, case.noise, case.exact.get("reach"), launch_window)
    weights = [rng.uniform(0.6, 1.4) for _ in channels]
    _channel_days(project, channels, days, reach, weights, case, rng)
    rows = {}
    for counter, points in case.business.items():
        window = windows.get(counter, launch_window)
        rows[counter] = _counts(rng, points, offsets, case.noise, case.exact.get(counter), window)
    if project.slug == "course-launch":
        rows["sales"] = [0] * len(offsets)
        launch_sales = _integers(
            [1.6, 1.2, 0.8, 0.7, 0.6, 0.6, 0.7, 0.6, 0.6, 0.7, 0.8, 1.0, 1.4, 2.4], LAUNCH_SALES
        )
        rows["sales"][-LAUNCH_DAYS:] = launch_sales
    if "sales" in rows:
        rows["revenue"] = [Decimal(n * PRICE) for n in rows["sales"]]
    if project.slug == "sofa-shop":
        rows["ad_spend"] = [Decimal(0)] * len(offsets)  # traffic from content alone
    BusinessDay.objects.bulk_create(
        BusinessDay(project=project, date=day, source=Source.IMPORT,
                    **{counter: values[i] for counter, values in rows.items()})
        for i, day in enumerate(days)
    )  # fmt: skip
    _posts(project, channels, days, offsets, case, today, rng)


def _channel_days(project, channels, days, reach, weights, case, rng) -> None:
    if not channels:
        return
    today = days[-1] + dt.timedelta(days=1)
    totals = [_level(case.followers, (day - today).days) for day in days]
    rows = []
    shares = [w / sum(weights) for w in weights]
    parts_by_day = [_integers(weights, total) for total in reach]
    for c, channel in enumerate(channels):
        prev = round(totals[0] * shares[c])
        for i, day in enumerate(days):
            value = max(round(totals[i] * shares[c] + rng.uniform(-3, 3)), 0)
            lost = rng.randint(0, 3)
            rows.append(
                ChannelDay(
                    project=project, channel=channel, date=day, followers=value,
                    gained=max(value - prev + lost, 0), lost=lost, reach=parts_by_day[i][c],
                    impressions=round(parts_by_day[i][c] * rng.uniform(1.2, 1.5)),
                    source=Source.IMPORT,
                )
            )  # fmt: skip
            prev = value
    ChannelDay.objects.bulk_create(rows, batch_size=1000)


def _posts(project, channels, days, offsets, case, today, rng) -> None:
    """A regular history of posts, then one post per published publication (linked to it)."""
    zone = zoneinfo.ZoneInfo(project.timezone)
    now = timezone.now()
    rubrics = list(project.rubrics.values_list("code", flat=True)) or [""]
    published = list(
        Publication.objects.filter(item__project=project, published_at__isnull=False)
        .select_related("item", "item__rubric", "channel")
        .order_by("published_at", "pk")
    )
    taken = {(p.channel_id, p.published_at.astimezone(zone).date()) for p in published}
    posts: list[Post] = []
    plan: list[tuple[Post, dict]] = []
    slug = project.slug.replace("-", "_")
    for c, channel in enumerate(channels):
        for i, day in enumerate(days):
            if (i + c) % case.post_every:
                continue
            if (channel.pk, day) in taken:
                continue
            moment = dt.datetime.combine(day, dt.time(10 + (i + c) % 10), tzinfo=zone)
            post = Post(
                project=project, channel=channel, network=channel.network,
                external_id=f"demo:{slug}:{channel.network}:{day.isoformat()}",
                published_at=moment.astimezone(dt.UTC), format=rng.choice(FORMATS),
                rubric=rng.choice(rubrics), title=_title(rng, day),
                has_expert_input=rng.random() < case.expert_share, source=Source.IMPORT,
            )  # fmt: skip
            plan.append((post, _counters(rng, case, offsets[i], post)))
            posts.append(post)
    # A publication the scheduler delivered already has its post (analytics hears the delivery):
    # the demo gives it a history like the others instead of a second post.
    delivered = {p.publication_id: p for p in Post.objects.filter(publication__in=published)}
    for publication in published:
        item = publication.item
        offset = (publication.published_at.astimezone(zone).date() - today).days
        post = delivered.get(publication.pk) or Post(
            project=project, channel=publication.channel, network=publication.channel.network,
            publication=publication, external_id=f"publication:{publication.pk}",
            published_at=publication.published_at, format=item.format,
            rubric=item.rubric.code if item.rubric else "", title=item.title[:300],
            url=publication.url[:500],
            has_expert_input=bool(item.rubric and item.rubric.code in EXPERT_RUBRICS)
            or rng.random() < case.expert_share,
            source=Source.CONNECTOR,
        )  # fmt: skip
        plan.append((post, _counters(rng, case, offset, post)))
        if post.pk is None:
            posts.append(post)
    if case.extra_goals:  # one post in the last month over 500 ("I reached it")
        recent = [p for p, _c in plan if (today - p.published_at.date()).days <= 25]
        if recent:
            target = recent[len(recent) // 2]
            for post, counters in plan:
                if post is target:
                    counters.update(reach=640, views=820, likes=41, comments=12, shares=6)
    for post, counters in plan:  # the newest snapshot's counters, as record_snapshot keeps them
        for name, value in counters.items():
            setattr(post, f"latest_{name}", value)
        post.last_captured_at = max(min(post.published_at + dt.timedelta(days=3), now),
                                    post.published_at)  # fmt: skip
    Post.objects.bulk_create(posts, batch_size=500)
    kept = [post for post, _c in plan if post.publication_id in delivered]
    latest = [f"latest_{name}" for name in POST_COUNTERS]
    Post.objects.bulk_update(kept, [*latest, "last_captured_at"], batch_size=500)
    snapshots = []
    for post, counters in plan:
        first = post.published_at + dt.timedelta(days=1)
        if first < post.last_captured_at:
            early = {k: (round(v * 0.7) if v is not None else None) for k, v in counters.items()}
            snapshots.append(PostSnapshot(post=post, captured_at=first, source=post.source,
                                          **early))  # fmt: skip
        snapshots.append(PostSnapshot(post=post, captured_at=post.last_captured_at,
                                      source=post.source, **counters))  # fmt: skip
    PostSnapshot.objects.bulk_create(snapshots, batch_size=1000)


FORMATS = ("post", "post", "carousel", "reels", "stories", "video")
EXPERT_RUBRICS = {"expert_stories", "cases", "expertise"}
TITLES = ("Разбор недели", "Вопрос подписчика", "История клиента", "Чек-лист", "Подборка",
          "Новости рынка", "За кулисами", "Ошибки новичков", "Опрос", "Полезный совет")  # fmt: skip


def _title(rng, day: dt.date) -> str:
    return f"{rng.choice(TITLES)} · {day:%d.%m}"


def _counters(rng, case: Case, offset: int, post: Post) -> dict:
    low, high = case.post_reach
    growth = _level(case.reach, offset) / max(_level(case.reach, -case.history), 1)
    reach = round(rng.uniform(low, high) * min(growth, 3.0) ** 0.5)
    reach = min(reach, 499) if case.extra_goals else reach
    er = _level(case.er, offset) * rng.uniform(0.7, 1.3) * (1.4 if post.has_expert_input else 0.9)
    interactions = max(round(reach * er / 100), 0)
    comments = round(interactions * rng.uniform(0.1, 0.25))
    shares = round(interactions * rng.uniform(0.05, 0.15))
    views = round(reach * rng.uniform(1.1, 1.4))
    return {
        "views": views,
        "reach": reach,
        "impressions": round(views * rng.uniform(1.0, 1.2)),
        "likes": max(interactions - comments - shares, 0),
        "comments": comments,
        "shares": shares,
        "saves": round(interactions * rng.uniform(0.05, 0.2)),
    }


# --- goals --------------------------------------------------------------------------------------


def _goals(owner, project, case: Case, today: dt.date) -> None:
    """Windows that tell the case's story; activating a goal evaluates and records it."""
    drafts = {goal.metric: goal for goal in project.goals.filter(status="draft")}
    for metric, (start, days) in case.goals.items():
        goal = drafts.get(metric)
        if goal is None:
            continue
        changes = {}
        if days is not None:
            changes["window_days"] = days
            if metric == "revenue":
                changes["name"] = "Выручка запуска 6,5 млн ₽ за две недели продаж"
            elif goal.kind == "multiple":
                changes["name"] = f"{goal.name} к предыдущим {days} дням"
        starts_on = today + dt.timedelta(days=start) if start is not None else None
        if changes:
            goal_services.update_goal(owner, goal, **changes)
        goal_services.activate_goal(owner, goal, starts_on)
    for name, metric, kind, target, days, start in case.extra_goals:
        goal_services.create_goal(
            owner, project, name=name, metric=metric, kind=kind, target=target,
            window_days=days, starts_on=today + dt.timedelta(days=start), activate=True,
        )  # fmt: skip
