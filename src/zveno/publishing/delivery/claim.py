"""Keeping dispatches in step with the plan, and the claim: due dispatches taken under a lease,
released with their new state (the content app mirrors it)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from zveno.publishing.delivery.base import DELIVERED, DUE, S, lease
from zveno.publishing.models import Dispatch, HoldReason

# --- keeping dispatches in step with the plan --------------------------------------------------


def sync() -> int:
    """Creates or re-times the dispatches of what is due; a dispatch whose publication is no
    longer approved goes back to planned. Returns how many rows changed."""
    wanted = {w.ref: w for provider in DUE for w in provider()}
    changed = 0
    existing = {d.ref: d for d in Dispatch.objects.filter(ref__in=list(wanted))}
    new = []
    for ref, w in wanted.items():
        d = existing.get(ref)
        if d is None:
            new.append(Dispatch(ref=ref, channel_id=w.channel_id, due_at=w.due_at,
                                guid=uuid.uuid4().hex, state=S.SCHEDULED))  # fmt: skip
            continue
        if d.state == S.PLANNED or (d.state in (S.SCHEDULED, S.HELD) and d.due_at != w.due_at):
            fields = {"due_at": w.due_at, "channel_id": w.channel_id}
            if d.state == S.PLANNED or (
                d.hold_reason == HoldReason.MISSED and w.due_at > timezone.now()
            ):
                fields.update(state=S.SCHEDULED, hold_reason="", reason="", next_try_at=None)
            changed += Dispatch.objects.filter(pk=d.pk, state=d.state).update(**fields)
    if new:
        Dispatch.objects.bulk_create(new, ignore_conflicts=True)
        changed += len(new)
    gone = Dispatch.objects.filter(state__in=(S.SCHEDULED, S.HELD)).exclude(ref__in=list(wanted))
    changed += gone.update(state=S.PLANNED, hold_reason="", next_try_at=None)
    return changed


# --- the claim ----------------------------------------------------------------------------------


def _claimable(now: dt.datetime):
    due = Q(state=S.SCHEDULED, due_at__lte=now) & (
        Q(next_try_at__isnull=True) | Q(next_try_at__lte=now)
    )
    abandoned = Q(state=S.SENDING, lease_until__lt=now)  # its worker died or hung
    return Dispatch.objects.filter(due | abandoned)


def claim(owner: str, limit: int = 20, now: dt.datetime | None = None) -> list[Dispatch]:
    """Takes up to `limit` due dispatches for `owner` under a lease; no two workers get one."""
    now = now or timezone.now()
    until = now + lease()
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                _claimable(now).order_by("due_at", "pk").select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:limit]
            )  # fmt: skip
            Dispatch.objects.filter(pk__in=ids).update(
                state=S.SENDING, lease_owner=owner, lease_until=until
            )
    else:
        # SQLite has one writer at a time: one UPDATE that checks again that each candidate is
        # still claimable takes them atomically (a candidate another worker took meanwhile is
        # left), and the rows it took are those with this owner and this lease.
        ids = list(_claimable(now).order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
        _claimable(now).filter(pk__in=ids).update(
            state=S.SENDING, lease_owner=owner, lease_until=until
        )
        ids = Dispatch.objects.filter(pk__in=ids, state=S.SENDING, lease_until=until)
    mine = Dispatch.objects.filter(pk__in=ids, lease_owner=owner)
    return list(mine.select_related("channel__project"))


def _ours(dispatch: Dispatch):
    return Dispatch.objects.filter(
        pk=dispatch.pk, state=S.SENDING, lease_owner=dispatch.lease_owner
    )


def _release(dispatch: Dispatch, **fields) -> bool:
    """Ends our lease with the given fields; False when the lease was no longer ours."""
    fields.setdefault("lease_owner", "")
    fields.setdefault("lease_until", None)
    done = _ours(dispatch).update(**fields)
    for name, value in fields.items():
        setattr(dispatch, name, value)
    if done and "state" in fields:
        DELIVERED(dispatch)  # the content mirrors it (its own short transaction)
    return bool(done)
