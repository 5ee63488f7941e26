"""Sending webhook deliveries: signed, claimed once, retried with back-off, logged."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import httpx
from django.utils import timezone

from zveno import __version__
from zveno.core import crypto, outbox
from zveno.webhooks import guard, signing
from zveno.webhooks.models import Delivery, Status
from zveno.webhooks.services import secret_of

log = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; after the last, the delivery gives up.
BACKOFF = [
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
STALE_CLAIM = dt.timedelta(minutes=10)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def body_of(delivery: Delivery) -> bytes:
    endpoint = delivery.endpoint
    document = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "workspace": endpoint.workspace.slug,
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def deliver(delivery_id: int) -> str:
    """One attempt at one delivery, unless delivered, claimed by another worker or not due."""
    if outbox.claim(Delivery, delivery_id, STALE_CLAIM) is None:
        return "skipped"
    delivery = Delivery.objects.select_related("endpoint__workspace").get(pk=delivery_id)
    started = time.monotonic()
    answer: dict = {"response_status": None, "response_body": "", "error": ""}
    try:
        body = body_of(delivery)
        guard.check(delivery.endpoint.url)
        secret = secret_of(delivery.endpoint)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"Zveno-Webhooks/{__version__}",
            "X-Zveno-Event": delivery.event,
            "X-Zveno-Delivery": str(delivery.pk),
            "X-Zveno-Event-Id": str(delivery.event_id),
            signing.HEADER: signing.sign(secret, int(time.time()), body),
        }
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.post(delivery.endpoint.url, content=body, headers=headers)
        answer["response_status"] = response.status_code
        answer["response_body"] = response.text[:1000]
        ok = 200 <= response.status_code < 300
        if not ok:
            answer["error"] = f"HTTP {response.status_code}"
    except (httpx.HTTPError, guard.Refused, crypto.CannotDecrypt) as exc:
        ok = False
        answer["error"] = (str(exc) or exc.__class__.__name__)[:300]
    answer["duration_ms"] = int((time.monotonic() - started) * 1000)
    if ok:
        Delivery.objects.filter(pk=delivery_id).update(
            status=Status.DELIVERED, delivered_at=timezone.now(), **answer
        )
        return "delivered"
    log.info("webhook delivery %s: %s", delivery_id, answer["error"])
    if delivery.attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery_id).update(status=Status.GAVE_UP, **answer)
        return "gave_up"
    wait = BACKOFF[delivery.attempts - 1]
    Delivery.objects.filter(pk=delivery_id).update(
        status=Status.FAILED, not_before=timezone.now() + wait, **answer
    )
    return "failed"


def due() -> list[int]:
    return outbox.due(Delivery, STALE_CLAIM, MAX_ATTEMPTS)


def send_due() -> dict[str, int]:
    """Sends everything due, in place (the sweep and the tests)."""
    return outbox.send_each(due(), deliver)
