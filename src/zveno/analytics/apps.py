from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Goals (KPIs) and, later, metrics, imports and reports."""

    name = "zveno.analytics"
    label = "analytics"
    verbose_name = _("Analytics")
