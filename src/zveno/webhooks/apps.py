from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Outbound webhooks: a workspace's endpoints, signed deliveries, retries and their log."""

    name = "zveno.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
