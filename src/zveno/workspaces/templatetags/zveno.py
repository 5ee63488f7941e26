from django import template

from zveno.core import links
from zveno.workspaces import access
from zveno.workspaces.roles import JobRole

register = template.Library()


@register.simple_tag(takes_context=True)
def sidebar_projects(context) -> dict:
    """Workspaces and the projects the signed-in user may open, for the side navigation.

    Each entry carries its link and its classes (the page's project, the project's status), worked
    out here: the menu is on every page and lists every project, so an agency's menu of 200
    entries must cost a loop over prepared entries, not a link resolved and a condition per entry.
    """
    workspaces, projects = access.navigation(context["request"].user)
    current = getattr(context.get("project"), "pk", None)
    link = links.by_slug("projects:project")
    groups: dict[int, list] = {ws.pk: [] for ws in workspaces}
    outside = []
    for pk, name, slug, status, workspace_id in projects:
        active = current is not None and pk == current
        group = groups.get(workspace_id)
        if group is None:  # a project of a workspace the user is not a member of
            outside.append({"name": name, "url": link(slug), "css": "active" if active else ""})
        else:  # the entry's classes as one value: the page's project, and its status
            css = f"active status-{status}" if active else f" status-{status}"
            group.append({"name": name, "url": link(slug), "css": css})
    return {
        "workspaces": [{"ws": ws, "projects": groups[ws.pk]} for ws in workspaces],
        "outside": outside,
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
