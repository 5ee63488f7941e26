"""What a project's overview shows from the team app: findings, the timeline, the heat map."""

from __future__ import annotations

from zveno.core.timezones import today_in
from zveno.team import health, selectors, workload
from zveno.workspaces.roles import Capability


def context(project, granted) -> dict:
    shows_load = granted.can(Capability.MANAGE_TEAM) or granted.can(Capability.EDIT_CONTENT)
    return {
        "has_playbook": hasattr(project, "playbook"),
        "findings": health.evaluate(project),
        "timeline": selectors.timeline(project, today_in(project.timezone)),
        "workload": workload.project_load(project, weeks=4) if shows_load else None,
        "channels": project.channels.filter(is_active=True),
    }
