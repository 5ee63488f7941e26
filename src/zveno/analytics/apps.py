from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Posts and their counters, formulas, goals, imports, reports, collection."""

    name = "zveno.analytics"
    label = "analytics"

    def ready(self) -> None:
        # A chosen playbook drafts the project's goals from its KPI templates.
        from zveno.analytics.services import goals
        from zveno.playbooks.services import PLAYBOOK_CHOSEN

        PLAYBOOK_CHOSEN.register(goals.playbook_chosen)

        # A post the scheduler published becomes an analytics post at once (by its network id),
        # so collection snapshots it without waiting to find it on the wall.
        from zveno.analytics import collection
        from zveno.publishing.delivery import DELIVERED

        DELIVERED.register(collection.on_delivered)

    verbose_name = _("Analytics")
