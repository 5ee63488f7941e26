from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamConfig(AppConfig):
    """Responsibility matrix and agreements, stages and tasks, workload and health rules."""

    name = "zveno.team"
    label = "team"
    verbose_name = _("Team")
