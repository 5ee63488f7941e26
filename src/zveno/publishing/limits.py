"""Rate limits per network, per token and per channel, shared by every worker.

Each limited thing is a key ("vk:token:<hash>", "telegram:channel:12") with the earliest moment
it may send again. Taking a slot moves that moment one interval on; a network's "wait N seconds"
(HTTP 429 ``retry_after``, VK errors 6 and 9) moves it to exactly now + N. The moments live in
the database (`RateSlot`, a conditional update per key) or, when ``REDIS_URL`` is set, in Redis
(``SET key PX interval NX``: a key that exists is a slot taken). Tokens appear only as a hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from zveno.publishing.models import Channel, RateSlot

# network -> (per token, per channel): the smallest interval in seconds between two posts.
# Telegram: 30 messages a second per bot, about 20 a minute per channel; VK: 3 requests a second
# per user token (50 posts a day per community is VK's answer 214, waited out until midnight);
# MAX: 30 requests a second per bot.
INTERVALS: dict[str, tuple[float, float]] = {
    "telegram": (1 / 30, 3.0),
    "vk": (0.34, 0.0),
    "max": (1 / 30, 0.0),
}


def keys_for(channel: Channel, credentials: Mapping[str, str]) -> dict[str, float]:
    """The keys a post on this channel takes a slot of, with their intervals."""
    intervals = getattr(settings, "PUBLISHING_INTERVALS", None)
    intervals = INTERVALS if intervals is None else intervals
    per_token, per_channel = intervals.get(channel.network, (0.0, 0.0))
    secret = "".join(sorted(credentials.values()))
    token = hashlib.sha256(secret.encode()).hexdigest()[:24]
    keys = {}
    if per_token > 0:
        keys[f"{channel.network}:token:{token}"] = per_token
    if per_channel > 0:
        keys[f"{channel.network}:channel:{channel.pk}"] = per_channel
    return keys


def take(keys: Mapping[str, float]) -> float:
    """Takes one slot of every key, or none: 0 when taken, else the seconds until one frees."""
    if not keys:
        return 0.0
    if settings.REDIS_URL:
        return _take_redis(keys)
    return _take_db(keys)


def block(keys: Sequence[str], seconds: float) -> None:
    """Nothing goes out on these keys for `seconds` (the network said so)."""
    if not keys or seconds <= 0:
        return
    if settings.REDIS_URL:
        client = _redis()
        for key in keys:
            client.set(_rkey(key), "1", px=max(1, int(seconds * 1000)))
        return
    until = timezone.now() + dt.timedelta(seconds=seconds)
    for key in keys:
        RateSlot.objects.update_or_create(key=key, defaults={"next_at": until})


# --- the database ------------------------------------------------------------------------------


class _Busy(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


def _take_db(keys: Mapping[str, float]) -> float:
    now = timezone.now()
    try:
        with transaction.atomic():
            for key, interval in sorted(keys.items()):
                nxt = now + dt.timedelta(seconds=interval)
                taken = RateSlot.objects.filter(Q(key=key) & Q(next_at__lte=now)).update(
                    next_at=nxt
                )
                if taken:
                    continue
                slot = RateSlot.objects.filter(key=key).first()
                if slot is None:
                    try:
                        with transaction.atomic():
                            RateSlot.objects.create(key=key, next_at=nxt)
                        continue
                    except IntegrityError:  # another worker created it first
                        slot = RateSlot.objects.get(key=key)
                raise _Busy(max(0.001, (slot.next_at - now).total_seconds()))
    except _Busy as busy:
        return busy.wait
    return 0.0


# --- Redis -------------------------------------------------------------------------------------


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def _rkey(key: str) -> str:
    return f"zveno:rate:{key}"


def _take_redis(keys: Mapping[str, float]) -> float:
    client = _redis()
    taken = []
    for key, interval in sorted(keys.items()):
        if client.set(_rkey(key), "1", px=max(1, int(interval * 1000)), nx=True):
            taken.append(key)
            continue
        wait = client.pttl(_rkey(key))
        for done in taken:  # all or none
            client.delete(_rkey(done))
        return max(0.001, wait / 1000 if wait and wait > 0 else 0.001)
    return 0.0
