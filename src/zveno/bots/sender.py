"""The bot as the notifications app's messenger sender (registered in ``BotsConfig.ready``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from zveno.bots import cards, platforms
from zveno.bots.platforms import escape
from zveno.content.models import ContentItem
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
    picture = _picture(message)
    if picture is not None:
        name, content, mime, title = picture
        try:
            platform.send_photo(account.chat_id, name, content, mime, caption=escape(title))
        except Blocked:
            raise
        except Exception as exc:  # the card still goes out, without its picture
            log.warning("%s: picture not sent: %s", account.messenger, exc)
    platform.send(account.chat_id, text, buttons)


def _picture(message):
    item_id = (message.data or {}).get("item")
    if not item_id or message.verb != "approval_requested":
        return None
    item = ContentItem.objects.filter(pk=item_id).first()
    found = cards.item_picture(item) if item is not None else None
    return (*found, item.title) if found else None


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
