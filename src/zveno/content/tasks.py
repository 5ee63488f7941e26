"""Background jobs of content: thin, idempotent wrappers."""

from __future__ import annotations

from celery import shared_task

from zveno.content import expert_notices, step_notices


@shared_task(name="zveno.content.tasks.remind_expert_requests")
def remind_expert_requests() -> int:
    """Experts are reminded of requests due tomorrow and overdue (once per request and day)."""
    return expert_notices.remind()


@shared_task(name="zveno.content.tasks.remind_steps")
def remind_steps() -> int:
    """Whoever holds an item hears the day before its step is due, and daily while overdue."""
    return step_notices.remind()
