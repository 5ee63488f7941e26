"""Background jobs of the team app: thin, idempotent wrappers around its services."""

from __future__ import annotations

from celery import shared_task

from zveno.team import summary


@shared_task
def refresh_team_summaries() -> None:
    """The safety net under the stored team summaries: every project recomputed (hourly)."""
    summary.sweep()
