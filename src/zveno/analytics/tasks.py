"""Background jobs of analytics: thin, idempotent wrappers around the services.

The database records what is due and what was done (Import.status, Goal.evaluated_at,
ReportDelivery), so a lost or repeated message does no harm.
"""

from __future__ import annotations

from celery import shared_task

from zveno.analytics import collection, goals, imports
from zveno.analytics.services import reports as report_services


@shared_task
def run_import(import_id: int) -> None:
    imports.run(import_id)


@shared_task
def sweep_imports() -> None:
    """Requeue imports a dead worker left queued or running."""
    imports.sweep()


@shared_task
def evaluate_goals() -> None:
    goals.evaluate_all()


@shared_task
def send_due_reports() -> None:
    report_services.send_due()


@shared_task
def collect_metrics() -> None:
    """Every project's channels read from their networks (the beat, every half hour)."""
    collection.collect_all()


@shared_task
def collect_project_now(project_id: int) -> None:
    """A person pressed "collect now" (or the API was asked): one project, at once."""
    collection.collect_project_by_id(project_id, trigger="manual")
