"""An outbox of deliveries (e-mails and messages, webhook calls): the database says what is due,
and a worker claims one row at a time with a conditional update, so two workers never send the
same row and a worker that died leaves its claim to go stale.

A row has ``status`` ("pending", "sending", "failed", …), ``not_before``, ``claimed_at`` and
``attempts``; the apps keep their own statuses for what happened after the claim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db.models import F, Q
from django.utils import timezone

PENDING, SENDING, FAILED = "pending", "sending", "failed"


def _claimable(now: dt.datetime, stale: dt.timedelta) -> Q:
    waiting = Q(status__in=[PENDING, FAILED], not_before__lte=now)
    return waiting | Q(status=SENDING, claimed_at__lt=now - stale)


def claim(model, pk: int, stale: dt.timedelta) -> dt.datetime | None:
    """Takes the row for this worker (one more attempt) and returns the claim's time (the row's
    ``claimed_at``); None when it is done, not yet due, or held by a live worker."""
    now = timezone.now()
    claimed = model.objects.filter(_claimable(now, stale), pk=pk).update(
        status=SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return now if claimed else None


def due(model, stale: dt.timedelta, max_attempts: int) -> list[int]:
    """Rows due now: new, to retry, or claimed by a worker that died."""
    rows = model.objects.filter(_claimable(timezone.now(), stale), attempts__lt=max_attempts)
    return list(rows.values_list("pk", flat=True))


def send_each(ids: Iterable[int], deliver: Callable[[int], str]) -> dict[str, int]:
    """Delivers each row in place; how many ended each way."""
    outcomes: dict[str, int] = {}
    for pk in ids:
        outcome = deliver(pk)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
