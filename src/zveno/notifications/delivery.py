"""Sending deliveries: e-mail and the registered messengers, claimed once, retried with back-off;
the daily digest. A ``Delivery`` row records what is due and what was done."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zveno.core import outbox
from zveno.core.jobs import enqueue
from zveno.core.seams import Seam
from zveno.notifications import messengers
from zveno.notifications.events import EMAIL, MESSENGERS
from zveno.notifications.models import Delivery, DeliveryStatus, MessengerAccount, Settings
from zveno.notifications.selectors import zone_of
from zveno.notifications.services import DELIVER_TASK, mark_blocked

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_CLAIM = dt.timedelta(minutes=10)
BACKOFF = dt.timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts

# Lines about what waits for a person ("2 items wait for your approval"), added to their daily
# digest: ``section(user) -> list[str]``; content fills it.
DIGEST_SECTIONS = Seam("notifications.DIGEST_SECTIONS")


class _Skip(Exception):
    """Nowhere to send: no address, the account is gone, no bot configured."""


def deliver(delivery_id: int) -> str:
    """Sends one delivery unless sent, claimed by another worker, or not yet due."""
    now = outbox.claim(Delivery, delivery_id, STALE_CLAIM)
    if now is None:
        return "skipped"
    delivery = Delivery.objects.select_related("user", "notification").get(pk=delivery_id)
    try:
        _send(delivery)
    except _Skip as exc:
        _finish(delivery, DeliveryStatus.SKIPPED, str(exc))
        return "skipped"
    except messengers.Blocked:
        _blocked(delivery)
        return "blocked"
    except Exception as exc:  # a network or SMTP failure: record, retry later
        log.warning("delivery %s (%s): %s", delivery_id, delivery.channel, exc)
        if delivery.attempts >= MAX_ATTEMPTS:
            _finish(delivery, DeliveryStatus.GAVE_UP, str(exc))
            return "gave_up"
        wait = BACKOFF * (2 ** (delivery.attempts - 1))
        asked = getattr(exc, "retry_after", None)  # a messenger's 429 says how long to wait
        if asked:
            wait = max(wait, dt.timedelta(seconds=float(asked)))
        Delivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, error=str(exc)[:300], not_before=now + wait
        )
        return "failed"
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), error=""
    )
    return "sent"


def _finish(delivery: Delivery, status: str, error: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=status, error=error[:300])


def _text(delivery: Delivery) -> str:
    return delivery.text or (delivery.notification.text if delivery.notification else "")


def _url(delivery: Delivery) -> str:
    note = delivery.notification
    if not note or not note.url:
        return ""
    return note.url if note.url.startswith("http") else settings.BASE_URL + note.url


def _send(delivery: Delivery) -> None:
    user = delivery.user
    if delivery.channel == EMAIL:
        if not user.email:
            raise _Skip("no e-mail address")
        text, url = _text(delivery), _url(delivery)
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("Zveno: your daily digest") if delivery.text else text.splitlines()[0][:150]
        send_mail(subject, f"{text}\n\n{url}".strip() + "\n", None, [user.email])
        return
    if delivery.channel not in MESSENGERS:
        raise _Skip(f"unknown channel {delivery.channel}")
    account = MessengerAccount.objects.filter(user=user, messenger=delivery.channel).first()
    if account is None:
        raise _Skip("unlinked")
    if not account.reachable:
        raise _Skip("blocked")
    send = messengers.sender(delivery.channel)
    if send is None:
        raise _Skip("no bot configured")
    note = delivery.notification
    message = messengers.Message(
        text=_text(delivery),
        url=_url(delivery),
        verb=note.verb if note and not delivery.text else "digest",
        data=dict(note.data) if note and not delivery.text else {},
        notification_id=note.pk if note else None,
        project_id=note.project_id if note else None,
    )
    send(account, message)


@transaction.atomic
def _blocked(delivery: Delivery) -> None:
    """The person blocked the bot: the account is marked, this message goes by e-mail."""
    _finish(delivery, DeliveryStatus.SKIPPED, "blocked")
    account = MessengerAccount.objects.filter(
        user=delivery.user, messenger=delivery.channel
    ).first()
    if account is not None:
        mark_blocked(account)
    has_mail = Delivery.objects.filter(
        notification=delivery.notification, digest_of=delivery.digest_of, channel=EMAIL
    ).exists()
    if delivery.user.email and not (delivery.notification and has_mail):
        fallback = Delivery.objects.create(
            notification=delivery.notification,
            user=delivery.user,
            channel=EMAIL,
            text=delivery.text,
            not_before=timezone.now(),
        )
        transaction.on_commit(lambda: enqueue(DELIVER_TASK, fallback.pk))


def due() -> list[int]:
    """Deliveries the database says are due: new, to retry, or claimed by a worker that died."""
    return outbox.due(Delivery, STALE_CLAIM, MAX_ATTEMPTS)


def send_due() -> dict[str, int]:
    """Sends everything due, in place (the scheduler's sweep and the tests)."""
    return outbox.send_each(due(), deliver)


def compose_digests(now: dt.datetime | None = None) -> list[int]:
    """For each person whose digest time has come today: one delivery per channel that folds
    what waited for the digest and what waits for them (``DIGEST_SECTIONS``). Returns the new
    deliveries' ids; a person gets at most one digest a day."""
    now = now or timezone.now()
    made = []
    for prefs in Settings.objects.filter(digest=True).select_related("user"):
        user = prefs.user
        zone = zone_of(user)
        local = now.astimezone(zone)
        moment = dt.datetime.combine(local.date(), prefs.digest_at, tzinfo=zone)
        if now < moment or (prefs.last_digest_at and prefs.last_digest_at >= moment):
            continue
        made += _digest(user, prefs, now)
    return made


@transaction.atomic
def _digest(user, prefs: Settings, now: dt.datetime) -> list[int]:
    held = list(
        Delivery.objects.filter(
            user=user, status=DeliveryStatus.DIGEST, digest_of__isnull=True
        ).select_related("notification")
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        waiting = [line for section in DIGEST_SECTIONS for line in section(user)]
        channels = sorted({d.channel for d in held}) or _digest_channels(user)
        notes = sorted({d.notification.text for d in held if d.notification})
        parts = []
        if waiting:
            parts.append(_("Waiting for you:") + "\n" + "\n".join(f"• {w}" for w in waiting))
        if notes:
            parts.append(_("What happened:") + "\n" + "\n".join(f"• {n}" for n in notes))
    Settings.objects.filter(pk=prefs.pk).update(last_digest_at=now)
    if not parts:
        return []
    text = "\n\n".join(parts)
    made = []
    for channel in channels:
        digest = Delivery.objects.create(
            user=user, channel=channel, text=text, not_before=now, status=DeliveryStatus.PENDING
        )
        Delivery.objects.filter(pk__in=[d.pk for d in held if d.channel == channel]).update(
            digest_of=digest
        )
        made.append(digest.pk)
    return made


def _digest_channels(user) -> list[str]:
    """Where a digest with nothing held goes: the person's linked messengers, else e-mail."""
    linked = [
        a.messenger
        for a in MessengerAccount.objects.filter(user=user, blocked_at__isnull=True)
        if messengers.sender(a.messenger)
    ]
    return linked or ([EMAIL] if user.email else [])
