from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    """A project's channels on the networks; connectors and the scheduler attach here."""

    name = "zveno.publishing"
    label = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from zveno.publishing.connectors import base, telegram, vk
        from zveno.publishing.connectors.max import MaxConnector

        base.register(MaxConnector())
        base.register(telegram.TelegramConnector())
        base.register(vk.VkConnector())
