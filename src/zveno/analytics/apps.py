from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Goals (KPIs) and, later, metrics, imports and reports."""

    name = "zveno.analytics"
    label = "analytics"

    def ready(self) -> None:
        # A chosen playbook drafts the project's goals from its KPI templates.
        from zveno.analytics import services
        from zveno.playbooks.services import PLAYBOOK_CHOSEN

        PLAYBOOK_CHOSEN.register(services.playbook_chosen)

    verbose_name = _("Analytics")
