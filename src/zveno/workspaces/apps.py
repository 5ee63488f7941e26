from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspacesConfig(AppConfig):
    """Workspaces, projects, membership and roles, and the access chokepoint."""

    name = "zveno.workspaces"
    label = "workspaces"
    verbose_name = _("Workspaces")
