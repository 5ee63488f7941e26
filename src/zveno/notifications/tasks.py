"""Background jobs of notifications: thin, idempotent wrappers around notifications.delivery."""

from __future__ import annotations

from celery import shared_task

from zveno.notifications import delivery


@shared_task(name="zveno.notifications.tasks.deliver")
def deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


@shared_task(name="zveno.notifications.tasks.send_due")
def send_due() -> int:
    """The database says what is due: new after quiet hours, retries, lost messages."""
    due = delivery.due()
    for pk in due:
        deliver.delay(pk)
    return len(due)


@shared_task(name="zveno.notifications.tasks.send_digests")
def send_digests() -> int:
    made = delivery.compose_digests()
    for pk in made:
        deliver.delay(pk)
    return len(made)
