"""Metrics that collect themselves: post and channel figures read from the networks' APIs.

A pass over one channel (``collect_channel``):

1. picks up the posts on the wall or channel that analytics does not know yet (published through
   Zveno or by hand), matching each to a publication of the plan when it corresponds (same
   channel, close time, same text), otherwise keeping it as an unplanned post;
2. takes a snapshot of every post whose next capture age has come (1 h, 6 h, 1 d, 3 d, 7 d and
   30 d after publication), in batches the network allows;
3. writes today's channel day (followers, reach, visitors, …);
4. records a ``Collection`` row: when, from where, what it found, and what stood in the way.

Re-running a pass changes nothing: a capture is due only once per age, pick-up keys on the
network's own post id, and a channel day is one row per date. Goals on collected metrics are
re-evaluated after a project's pass, so "reached" arrives without anyone typing a number.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import time
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.analytics import goals as goal_rules
from zveno.analytics.models import (
    CHANNEL_COUNTERS,
    POST_COUNTERS,
    READ_STATUSES,
    ChannelDay,
    Collection,
    CollectionStatus,
    Post,
    PostSnapshot,
    Source,
)
from zveno.analytics.services import metrics
from zveno.content.models import Publication, PublicationStatus
from zveno.core import crypto
from zveno.core.jobs import enqueue
from zveno.publishing import limits
from zveno.publishing.connectors import telegram
from zveno.publishing.connectors.base import Collected, Outcome, OutcomeKind, connector_for
from zveno.publishing.models import Channel, DispatchState
from zveno.publishing.services import record_connection, target_for
from zveno.workspaces.models import Project

log = logging.getLogger(__name__)

CAPTURE_AGES = tuple(
    dt.timedelta(hours=h) for h in (1, 6, 24, 3 * 24, 7 * 24, 30 * 24)
)  # after publication
PICKUP_DAYS = 30  # how far back the first pass looks for posts made by hand
PICKUP_SLACK = dt.timedelta(hours=6)  # later passes re-read this much before the last one
MATCH_WINDOW = dt.timedelta(hours=3)  # a hand-made post matches a publication planned this close
MATCH_RATIO = 0.8  # …and whose text is this similar
SLOT_WAIT = 2.0  # seconds a pass waits for the token's slot before leaving it to the next
KEEP_DAYS = 14  # collection rows kept for the history

# What a network never gives, said on the channel's page instead of showing an empty chart.
NOTES = {
    "telegram": gettext_lazy(
        "Telegram's Bot API gives no post views: followers are collected here, views come from "
        "the TGStat import."
    ),
}

# The networks' names for a post's figures → Zveno's counters (absent stays unknown).
POST_KEYS = {
    "views": "views", "likes": "likes", "comments": "comments", "reposts": "shares",
    "shares": "shares", "reach_total": "reach", "reach": "reach", "links": "link_clicks",
    "reactions": "likes",
}  # fmt: skip
DAY_KEYS = {
    "followers": "followers", "reach": "reach", "views": "impressions",
    "visitors": "profile_visits", "subscribed": "gained", "unsubscribed": "lost",
}  # fmt: skip


@dataclass
class Pass:
    """What one channel's pass did, before it becomes a Collection row."""

    picked_up: int = 0
    matched: int = 0
    snapshots: int = 0
    requests: int = 0
    days: int = 0
    problems: list = field(default_factory=list)  # Outcomes that stood in the way


def capture_due(published_at: dt.datetime, last: dt.datetime | None, now: dt.datetime) -> bool:
    """A post needs a snapshot when it has none, or when an age mark passed since the last one."""
    if last is None:
        return True
    passed = [published_at + age for age in CAPTURE_AGES if published_at + age <= now]
    return bool(passed) and last < passed[-1]


def collectable(channel: Channel) -> bool:
    return channel.is_active and connector_for(channel.network) is not None


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"https?://\S+", "", text or "")).strip().casefold()


def _similar(a: str, b: str) -> bool:
    a, b = _normal(a), _normal(b)
    if not a or not b:
        return False
    if a.startswith(b[:200]) or b.startswith(a[:200]):
        return True
    return difflib.SequenceMatcher(None, a[:1000], b[:1000]).ratio() >= MATCH_RATIO


def _collected(connector, method: str, *args) -> Collected:
    """The connector's richer ``collect_*`` when it has one, else the contract's ``fetch_*``."""
    rich = getattr(connector, method.replace("fetch_", "collect_"), None)
    if rich is not None:
        return rich(*args)
    found = Collected()
    try:
        found.metrics = dict(getattr(connector, method)(*args))
    except Exception as exc:  # a connector that raises still leaves a readable row
        log.warning("%s %s failed: %s", connector.network, method, exc)
        found.problem = _failure(str(exc))
    return found


def _failure(detail: str) -> Outcome:
    return Outcome(
        OutcomeKind.TRANSIENT, detail=detail[:500], reason=_("The network did not answer.")
    )


# --- pick-up ----------------------------------------------------------------------------------


def _recent(connector, target, since: dt.datetime) -> list[dict]:
    reader = getattr(connector, "recent_posts", None) or getattr(connector, "wall_posts", None)
    return list(reader(target, since)) if reader else []


def pick_up(channel: Channel, posts: Iterable[dict], now: dt.datetime) -> tuple[int, int]:
    """Create analytics posts for network posts not seen before; match them to the plan.
    Returns (picked up, matched to a publication)."""
    posts = [p for p in posts if p.get("external_id")]
    known = set(
        Post.objects.filter(
            channel=channel, network_id__in=[p["external_id"] for p in posts]
        ).values_list("network_id", flat=True)
    )
    fresh = [p for p in posts if p["external_id"] not in known]
    if not fresh:
        return 0, 0
    earliest = min(p["date"] for p in fresh) - MATCH_WINDOW
    candidates = list(
        Publication.objects.filter(channel=channel, post__isnull=True)
        .filter(item__planned_at__gte=earliest - dt.timedelta(days=1))
        .select_related("item", "item__rubric")
    )
    new, matched = [], []
    for found in sorted(fresh, key=lambda p: p["date"]):
        publication = _match(found, candidates)
        if publication is not None:
            candidates.remove(publication)
            matched.append((publication, found))
        new.append(_new_post(channel, found, publication))
    with transaction.atomic():
        Post.objects.bulk_create(new, batch_size=500)
        for publication, found in matched:  # the plan's publication went out: it says so
            _mark_published(publication, found)
    return len(fresh), len(matched)


def _match(found: dict, candidates: list[Publication]) -> Publication | None:
    """The plan's publication closest in time whose text is the same post, if any."""
    close = []
    for publication in candidates:
        when = publication.planned_at or publication.item.planned_at
        if when is None or abs(when - found["date"]) > MATCH_WINDOW:
            continue
        text = publication.text or publication.item.text or publication.item.title
        if _similar(text, found.get("text", "")):
            close.append((abs(when - found["date"]), publication.pk, publication))
    return min(close)[2] if close else None


def _new_post(channel: Channel, found: dict, publication: Publication | None) -> Post:
    item = publication.item if publication else None
    return Post(
        project_id=channel.project_id,
        channel=channel,
        publication=publication,
        external_id=f"{channel.network}:{found['external_id']}",
        network_id=found["external_id"],
        published_at=found["date"],
        network=channel.network,
        format=item.format if item else "post",
        rubric=item.rubric.code if item and item.rubric_id else "",
        title=(item.title if item else _normal(found.get("text", ""))[:120])[:300],
        url=found.get("url", "")[:500],
        source=Source.CONNECTOR,
    )


def _mark_published(publication: Publication, found: dict) -> None:
    if publication.status != PublicationStatus.PUBLISHED:
        Publication.objects.filter(pk=publication.pk).update(
            status=PublicationStatus.PUBLISHED,
            url=publication.url or found.get("url", ""),
            published_at=publication.published_at or found["date"],
        )


def on_delivered(dispatch) -> None:
    """The scheduler published a post (the ``DELIVERED`` seam): analytics knows it at once, by
    the network's id, so the next pass snapshots it at its capture ages."""
    if dispatch.state not in (DispatchState.PUBLISHED, DispatchState.LATE):
        return
    network_id = (dispatch.external_id or "").split(",")[0]  # an album: its first message
    if not network_id:
        return
    publication = Publication.objects.filter(pk=dispatch.ref).select_related(
        "item", "item__rubric", "channel"
    ).first()  # fmt: skip
    channel = publication.channel if publication else dispatch.channel
    if Post.objects.filter(channel=channel, network_id=network_id).exists():
        return
    if publication is not None and Post.objects.filter(publication=publication).exists():
        return
    found = {
        "external_id": network_id, "url": dispatch.url or "",
        "date": dispatch.published_at or timezone.now(),
        "text": publication.text or publication.item.text if publication else "",
    }  # fmt: skip
    _new_post(channel, found, publication).save()


def on_delivered_many(dispatches) -> None:
    """`on_delivered` for a batch: the publications and the posts already known in three reads,
    the new posts in one write."""
    went = [
        d for d in dispatches
        if d.state in (DispatchState.PUBLISHED, DispatchState.LATE)
        and (d.external_id or "").split(",")[0]
    ]  # fmt: skip
    if not went:
        return
    publications = Publication.objects.select_related("item", "item__rubric", "channel").in_bulk(
        [d.ref for d in went]
    )
    ids = {(d.external_id or "").split(",")[0] for d in went}
    channels = {d.channel_id for d in went} | {p.channel_id for p in publications.values()}
    known = set(
        Post.objects.filter(channel_id__in=channels, network_id__in=ids)
        .values_list("channel_id", "network_id")
    )  # fmt: skip
    linked = set(
        Post.objects.filter(publication_id__in=list(publications))
        .values_list("publication_id", flat=True)
    )  # fmt: skip
    new = []
    for dispatch in went:
        network_id = dispatch.external_id.split(",")[0]
        publication = publications.get(dispatch.ref)
        channel = publication.channel if publication else dispatch.channel
        if (channel.pk, network_id) in known or (publication and publication.pk in linked):
            continue
        known.add((channel.pk, network_id))
        if publication is not None:
            linked.add(publication.pk)
        found = {
            "external_id": network_id, "url": dispatch.url or "",
            "date": dispatch.published_at or timezone.now(),
            "text": publication.text or publication.item.text if publication else "",
        }  # fmt: skip
        new.append(_new_post(channel, found, publication))
    Post.objects.bulk_create(new)


on_delivered.many = on_delivered_many

# --- Telegram: what only the bot's updates tell -------------------------------------------


def telegram_update_heard(raw: dict, now: dt.datetime | None = None) -> bool:
    """A Telegram update about a channel (the bot administers it): a post made by hand
    (`channel_post`) is picked up like the walls' posts; reactions (`message_reaction_count`)
    become the post's likes in a snapshot. False for any other update (the bot handles it)."""
    counted, posted = telegram.reaction_count(raw), telegram.channel_post(raw)
    comment = _discussion_comment(raw)
    if counted is None and posted is None and comment is None:
        return False
    now = now or timezone.now()
    body = raw.get("message_reaction_count") or raw.get("channel_post") or {}
    chat = comment[0] if comment else body.get("chat") or {}
    for channel in _telegram_channels(chat):
        if posted is not None:
            pick_up(channel, [posted], now)
        if counted is not None:
            _record_figure(channel, counted["external_id"], "likes", counted["reactions"], now)
        if comment is not None:
            _record_figure(channel, comment[1], "comments", None, now)
    return True


def heard_from_channel(raw: dict) -> bool:
    """True for the Telegram updates ``telegram_update_heard`` keeps (the bot asks first)."""
    return bool(
        raw.get("channel_post") or raw.get("message_reaction_count") or _discussion_comment(raw)
    )


def _discussion_comment(raw: dict) -> tuple[dict, str] | None:
    """(the channel's chat, the post's id) when the update is a comment in a channel's linked
    discussion group: a reply to the post Telegram forwarded there by itself."""
    message = raw.get("message") or {}
    replied = message.get("reply_to_message") or {}
    if not replied.get("is_automatic_forward") or not replied.get("forward_from_message_id"):
        return None
    channel = replied.get("forward_from_chat") or replied.get("sender_chat") or {}
    return channel, str(replied["forward_from_message_id"])


def _telegram_channels(chat: dict) -> list[Channel]:
    """The connected Telegram channels whose handle is this chat's id or @username."""
    names = [str(chat["id"])] if chat.get("id") else []
    if chat.get("username"):
        names += [chat["username"], f"@{chat['username']}"]
    if not names:
        return []
    match = Q()
    for name in names:
        match |= Q(handle__iexact=name)
    found = Channel.objects.filter(match, network="telegram", is_active=True)
    return list(found.exclude(credentials=""))


def _record_figure(channel: Channel, network_id: str, name: str, value, now: dt.datetime):
    """One figure of a post heard from the bot (``value`` None: one more than before), in a
    snapshot that carries the post's other figures (a TGStat import's views stay the newest)."""
    post = Post.objects.filter(channel=channel, network_id=network_id).first()
    if post is None:
        return
    counters = {n: getattr(post, f"latest_{n}") for n in POST_COUNTERS}
    counters = {n: v for n, v in counters.items() if v is not None}
    counters[name] = (counters.get(name) or 0) + 1 if value is None else value
    metrics.record_snapshot(post, now, counters, Source.CONNECTOR)


# --- snapshots and days -----------------------------------------------------------------------


def _counters(figures: dict, keys: dict, allowed: Sequence[str]) -> dict:
    out: dict = {}
    for key, value in figures.items():
        name = keys.get(key)
        if name in allowed and value is not None and name not in out:
            out[name] = max(0, int(value))
    return out


def record_snapshots(posts: Sequence[Post], figures: dict, now: dt.datetime) -> int:
    """One snapshot per post at ``now`` (bulk), and the posts' ``latest_*`` copied from it by one
    UPDATE, in one transaction. A post the network gave nothing for keeps its previous figures."""
    rows = []
    for post in posts:
        counters = _counters(figures.get(post.network_id) or {}, POST_KEYS, POST_COUNTERS)
        if counters:
            rows.append(
                PostSnapshot(post=post, captured_at=now, source=Source.CONNECTOR, **counters)
            )
    if not rows:
        return 0
    newest = PostSnapshot.objects.filter(post=OuterRef("pk"), captured_at=now)
    latest = {f"latest_{n}": Subquery(newest.values(n)[:1]) for n in POST_COUNTERS}
    with transaction.atomic():
        PostSnapshot.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        touched = [row.post_id for row in rows]
        for start in range(0, len(touched), 500):
            Post.objects.filter(pk__in=touched[start : start + 500]).update(
                last_captured_at=now, **latest
            )
    return len(rows)


def _due_posts(channel: Channel, now: dt.datetime) -> list[Post]:
    oldest = now - CAPTURE_AGES[-1] - dt.timedelta(days=1)
    posts = Post.objects.filter(channel=channel, published_at__gte=oldest).exclude(network_id="")
    return [
        p
        for p in posts.only("pk", "network_id", "published_at", "last_captured_at")
        if capture_due(p.published_at, p.last_captured_at, now)
    ]


def _write_day(channel: Channel, day: dt.date, figures: dict) -> bool:
    counters = _counters(figures, DAY_KEYS, CHANNEL_COUNTERS)
    if not counters:
        return False
    ChannelDay.objects.update_or_create(
        channel=channel,
        date=day,
        defaults={**counters, "project_id": channel.project_id, "source": Source.CONNECTOR},
    )
    return True


# --- the pass ---------------------------------------------------------------------------------


def collect_channel(channel: Channel, now: dt.datetime | None = None, trigger: str = "schedule"):
    """One pass over one channel; always leaves a Collection row saying what happened."""
    now = now or timezone.now()
    connector = connector_for(channel.network)
    row = Collection(project_id=channel.project_id, channel=channel, started_at=now,
                     trigger=trigger)  # fmt: skip
    if connector is None:
        row.status = CollectionStatus.UNSUPPORTED
        row.message = _("This network gives no figures to Zveno: import them from a file.")
        return _finish(row)
    if not channel.is_connected or not channel.handle:
        row.status = CollectionStatus.NOT_CONNECTED
        row.message = _("The channel is not connected: add its token on the channel's page.")
        return _finish(row)
    try:
        target = target_for(channel)
    except crypto.CannotDecrypt:
        row.status = CollectionStatus.FAILED
        row.message = _("The stored token cannot be read with the current keys: connect again.")
        return _finish(row)
    keys = _token_keys(channel, target)
    if not _slot(keys):
        row.status = CollectionStatus.FAILED
        row.message = _("The network asked to wait: the next pass reads this channel.")
        return _finish(row)
    done = Pass()
    last = (
        Collection.objects.filter(channel=channel, status__in=READ_STATUSES)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    since = (last - PICKUP_SLACK) if last else now - dt.timedelta(days=PICKUP_DAYS)
    try:
        recent = _recent(connector, target, since)
    except Exception as exc:
        done.problems.append(_failure(f"{type(exc).__name__}: {exc}"))
        recent = []
    done.picked_up, done.matched = pick_up(channel, recent, now)
    due = _due_posts(channel, now)
    if due:
        found = _collected(connector, "fetch_post_metrics", target, [p.network_id for p in due])
        done.requests += found.requests
        if found.problem is not None:
            done.problems.append(found.problem)
        done.snapshots = record_snapshots(due, found.metrics, now)
    today = timezone.localtime(now, _network_zone(channel)).date()
    day = _collected(connector, "fetch_channel_day", target, today)
    done.requests += day.requests
    if day.problem is not None:
        done.problems.append(day.problem)
    done.days = int(_write_day(channel, today, day.metrics))
    row.picked_up, row.matched, row.snapshots = done.picked_up, done.matched, done.snapshots
    row.days, row.requests = done.days, done.requests
    row.note = str(NOTES.get(channel.network, ""))
    waits = [p.retry_after for p in done.problems if p.kind is OutcomeKind.RATE_LIMITED]
    if waits:  # the network said how long: publishing waits as long on this token
        limits.block(list(keys), max(w or 1.0 for w in waits))
    _judge(row, done)
    lost = next((p for p in done.problems if p.kind is OutcomeKind.AUTH_LOST), None)
    if lost is not None:  # the channel's page and the Publishing page say "reconnect"
        record_connection(channel, lost)
    return _finish(row)


def _token_keys(channel: Channel, target) -> dict[str, float]:
    """The token's rate-limit keys publishing uses: a pass takes one slot of them, so reading
    and posting share the network's budget (the channel's posting interval is not taken)."""
    keys = limits.keys_for(channel, target.credentials)
    return {key: interval for key, interval in keys.items() if ":token:" in key}


def _slot(keys: dict[str, float]) -> bool:
    wait = limits.take(keys)
    while 0 < wait <= SLOT_WAIT:
        time.sleep(wait)
        wait = limits.take(keys)
    return wait <= 0


def _network_zone(channel: Channel):
    name = "Europe/Moscow" if channel.network in ("vk", "max") else "UTC"
    return zoneinfo.ZoneInfo(name)


def _judge(row: Collection, done: Pass) -> None:
    if not done.problems:
        row.status = CollectionStatus.OK
        return
    worst = next((p for p in done.problems if p.kind is OutcomeKind.AUTH_LOST), done.problems[0])
    gathered = done.snapshots or done.days or done.picked_up
    lost = worst.kind is OutcomeKind.AUTH_LOST  # the token or the bot's rights are gone
    row.status = CollectionStatus.PARTIAL if gathered and not lost else CollectionStatus.FAILED
    row.message = str(worst.reason or _("The network refused some figures."))[:500]
    row.detail = "; ".join(p.detail for p in done.problems if p.detail)[:1000]


def _finish(row: Collection) -> Collection:
    row.finished_at = timezone.now()
    row.save()
    return row


def collect_project(project: Project, now: dt.datetime | None = None, trigger: str = "schedule"):
    """A pass over every active channel of a project, then its goals re-evaluated."""
    now = now or timezone.now()
    rows = [
        collect_channel(channel, now, trigger)
        for channel in project.channels.filter(is_active=True).order_by("pk")
    ]
    if any(r.status in READ_STATUSES for r in rows):
        today = timezone.localtime(now, zoneinfo.ZoneInfo(project.timezone)).date()
        goal_rules.evaluate_project(project, today)
    return rows


def collect_all(now: dt.datetime | None = None) -> int:
    """The beat task: every active project with a channel Zveno can read. Returns the number of
    channels passed over; old history rows are pruned."""
    now = now or timezone.now()
    count = 0
    projects = Project.objects.filter(status="active", channels__is_active=True).distinct()
    for project in projects:
        count += len(collect_project(project, now))
    Collection.objects.filter(started_at__lt=now - dt.timedelta(days=KEEP_DAYS)).delete()
    return count


# --- reading ----------------------------------------------------------------------------------


def every_seconds() -> int:
    return int(getattr(settings, "ZVENO_COLLECT_EVERY_SECONDS", 1800))


def collect_project_by_id(project_id: int, trigger: str = "manual") -> list[Collection]:
    project = Project.objects.filter(pk=project_id).first()
    return collect_project(project, trigger=trigger) if project else []


def request_now(project: Project) -> None:
    """Queue a pass over the project at once (the "collect now" button and the API)."""
    transaction.on_commit(lambda: enqueue("zveno.analytics.tasks.collect_project_now", project.pk))
