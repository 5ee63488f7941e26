"""Background jobs of publishing: thin, idempotent wrappers around the scheduler."""

from __future__ import annotations

from celery import shared_task

from zveno.publishing import delivery, sending


@shared_task(name="zveno.publishing.tasks.publish_due")
def publish_due() -> int:
    """One round of the scheduler (the beat queues it every few seconds): passes until nothing
    is due. Overlapping rounds on several workers share the work: each claim is atomic."""
    return delivery.run_until_empty().claimed


@shared_task(name="zveno.publishing.tasks.deliver")
def deliver(dispatch_id: int) -> str:
    """Sends one publication now ("publish now", "retry", "send again"); a delivery that breaks
    ends as failed with its reason, never as a job error."""
    return sending.deliver_queued(dispatch_id)
