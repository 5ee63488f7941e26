from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotsConfig(AppConfig):
    """The Telegram and MAX bot: linking accounts, the expert's loop, messages by preference."""

    name = "zveno.bots"
    label = "bots"
    verbose_name = _("Messenger bot")

    def ready(self) -> None:
        # The notifications app sends through the bot without importing it.
        from zveno.bots import sender
        from zveno.notifications import messengers
        from zveno.notifications.services import MESSENGER_UNLINKED

        for name in ("telegram", "max"):
            messengers.register(name, sender.send, sender.configured_for(name))
        MESSENGER_UNLINKED.register(sender.goodbye)
        # An invited expert lands on linking their messenger first (accounts offers the seam).
        from zveno.accounts.services import INVITATION_LANDING
        from zveno.bots.services import link_page_after_invitation

        INVITATION_LANDING.register(link_page_after_invitation)
