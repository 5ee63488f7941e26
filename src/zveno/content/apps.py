from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """Content items and their production workflow: steps, approvals, publications, calendar."""

    name = "zveno.content"
    label = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        from zveno.content import workload

        workload.register()
