"""Goals: drafts from a playbook's KPI templates."""

from __future__ import annotations

from decimal import Decimal

from zveno.analytics.models import Goal, GoalStatus
from zveno.workspaces.models import Project


def draft_goals_from_playbook(project: Project, playbook, language: str = "ru") -> list[Goal]:
    """Draft goals from the KPI templates; drafts of an earlier playbook are replaced."""
    project.goals.filter(status=GoalStatus.DRAFT, source__startswith="playbook:").delete()
    return Goal.objects.bulk_create(
        Goal(
            project=project,
            name=kpi.name.get(language),
            metric=kpi.metric,
            kind=kpi.kind,
            target=Decimal(str(kpi.value)),
            window_days=kpi.window_days,
            status=GoalStatus.DRAFT,
            source=f"playbook:{playbook.key}",
        )
        for kpi in playbook.kpis
    )
