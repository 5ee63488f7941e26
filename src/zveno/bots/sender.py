"""The bot as the notifications app's messenger sender (registered in ``BotsConfig.ready``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from zveno.bots import cards, platforms
from zveno.notifications.messengers import Blocked

log = logging.getLogger(__name__)


def configured_for(name: str):
    return lambda: platforms.platform(name) is not None


def send(account, message) -> None:
    """Sends one notification to the person's chat; ``Blocked`` when they blocked the bot."""
    platform = platforms.platform(account.messenger)
    if platform is None:
        raise RuntimeError(f"no {account.messenger} bot is configured")
    text, buttons = cards.for_notification(account.user, message)
    platform.send(account.chat_id, text, buttons)


def goodbye(account) -> None:
    """The person unlinked (from the profile or the chat): the chat hears it too."""
    platform = platforms.platform(account.messenger)
    if platform is None:
        return
    with translation.override(account.user.language or settings.LANGUAGE_CODE):
        text = _("This chat is no longer linked to Zveno. Link it again from your profile.")
    try:
        platform.send(account.chat_id, text)
    except Blocked:
        pass
    except Exception as exc:  # the unlinking stands; only the courtesy message is lost
        log.warning("%s: goodbye not sent: %s", account.messenger, exc)
