"""Background jobs of the team app: thin, idempotent wrappers around its services."""

from __future__ import annotations

from celery import shared_task

from zveno.team import summary


@shared_task
def refresh_team_summaries() -> None:
    """The safety net under the stored team summaries: every project recomputed (hourly)."""
    summary.sweep()


@shared_task(name="zveno.team.tasks.refresh_changed_summaries")
def refresh_changed_summaries(project_ids: list[int]) -> int:
    """After a change: the projects' summaries that no read has recomputed yet."""
    return summary.refresh_stale(project_ids)
