"""Background jobs of analytics: thin, idempotent wrappers around the services.

The database records what is due and what was done (Import.status, Goal.evaluated_at,
ReportDelivery), so a lost or repeated message does no harm.
"""

from __future__ import annotations

from celery import shared_task


@shared_task
def run_import(import_id: int) -> None:
    from zveno.analytics.imports import run

    run(import_id)


@shared_task
def sweep_imports() -> None:
    """Requeue imports a dead worker left queued or running."""
    from zveno.analytics.imports import sweep

    sweep()


@shared_task
def evaluate_goals() -> None:
    from zveno.analytics.goals import evaluate_all

    evaluate_all()


@shared_task
def send_due_reports() -> None:
    from zveno.analytics.reports import send_due

    send_due()
