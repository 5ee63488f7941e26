from django import template

from zveno.workspaces import access
from zveno.workspaces.roles import JobRole

register = template.Library()


@register.simple_tag(takes_context=True)
def sidebar_projects(context) -> dict:
    """Workspaces and the projects the signed-in user may open, for the side navigation."""
    workspaces, projects = access.navigation(context["request"].user)
    own = {ws.pk for ws in workspaces}
    return {
        "workspaces": workspaces,
        "projects": projects,
        "outside": [p for p in projects if p.workspace_id not in own],
    }


@register.filter
def role_label(role: str) -> str:
    return str(dict(JobRole.choices).get(role, role))


# The project's sections: each page's ``tab`` belongs to one group of the first tab row.
TAB_GROUPS = {
    "content": {"content", "plan", "calendar", "requests", "my_work", "publishing"},
    "team": {"members", "stages", "tasks", "matrix", "agreement", "workload"},
    "analytics": {
        "analytics",
        "performance",
        "channels",
        "team_expert",
        "goals",
        "imports",
        "daily",
        "reports",
    },
}


@register.filter
def tab_group(tab: str) -> str:
    """The first-row section a page's ``tab`` belongs to (``overview``, ``playbook``, …)."""
    for group, tabs in TAB_GROUPS.items():
        if tab in tabs:
            return group
    return tab or "overview"
