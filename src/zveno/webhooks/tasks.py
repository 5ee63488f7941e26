"""Background jobs of webhooks: thin, idempotent wrappers around webhooks.sending."""

from __future__ import annotations

from celery import shared_task

from zveno.webhooks import sending


@shared_task(name="zveno.webhooks.tasks.deliver")
def deliver(delivery_id: int) -> str:
    return sending.deliver(delivery_id)


@shared_task(name="zveno.webhooks.tasks.send_due")
def send_due() -> int:
    """The database says what is due: retries after their back-off and lost messages."""
    due = sending.due()
    for pk in due:
        deliver.delay(pk)
    return len(due)
