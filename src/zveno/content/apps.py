from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """Content items and their production workflow: steps, approvals, publications, calendar."""

    name = "zveno.content"
    label = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        # The seams of the apps below: the plan's load and coverage, the expert's input for H4.
        from zveno.content import requests, workload
        from zveno.team import health

        workload.register()
        if requests.expert_input not in health.EXPERT_INPUT_SOURCES:
            health.EXPERT_INPUT_SOURCES.append(requests.expert_input)
