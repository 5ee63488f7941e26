from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Goals (KPIs) and, later, metrics, imports and reports."""

    name = "zveno.analytics"
    label = "analytics"

    def ready(self) -> None:
        # A chosen playbook drafts the project's goals from its KPI templates.
        from zveno.analytics.services import goals
        from zveno.playbooks.services import PLAYBOOK_CHOSEN

        PLAYBOOK_CHOSEN.register(goals.playbook_chosen)

    verbose_name = _("Analytics")
