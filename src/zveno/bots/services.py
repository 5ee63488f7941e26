"""The bot's logic: link tokens, and every update handled once — linking by /start, the
expert's decisions and answers through the same content services as the web and the login-free
links, unlinking from the chat.

An update is recorded (``ProcessedUpdate``) in the same transaction as what it changes, so a
second delivery of it changes nothing, and a failure leaves it to be delivered again. Replies leave
after the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from zveno.analytics import collection
from zveno.bots import cards, platforms
from zveno.bots.models import Awaiting, LinkToken, ProcessedUpdate, VoiceNote
from zveno.bots.platforms import Incoming, Platform
from zveno.content import requests as expert_requests
from zveno.content import services as content
from zveno.content.models import ContentItem, ExpertRequest, State
from zveno.notifications.messengers import Blocked
from zveno.notifications.models import MessengerAccount
from zveno.notifications.services import link_messenger, unlink_messenger
from zveno.workspaces import access
from zveno.workspaces.models import ProjectMembership
from zveno.workspaces.roles import Capability

log = logging.getLogger(__name__)

AWAIT_FOR = dt.timedelta(hours=2)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def available() -> list[str]:
    """The messengers with a configured bot."""
    return list(platforms.configured())


def link_page_after_invitation(invitation, destination: str) -> str:
    """Where an invited expert lands: the page that links their messenger (with a way on to
    ``destination``) when a bot is configured, else ``destination`` itself."""
    found = available()
    if "expert" not in (invitation.job_roles or []) or not found:
        return destination
    return reverse("bots:link", args=[found[0]]) + "?" + urlencode({"next": destination})


def webhook_secret(messenger: str) -> str:
    """The secret a messenger sends with each webhook request (derived from SECRET_KEY)."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"bot-webhook:{messenger}".encode(), "sha256")
    return mac.hexdigest()[:48]


@transaction.atomic
def link_url(actor, messenger: str) -> str:
    """A deep link that links ``actor``'s chat when opened: one-time, expiring."""
    access.own_account(actor)
    platform = platforms.platform(messenger)
    if platform is None:
        raise ValidationError(_("No bot is configured for this messenger."))
    raw = secrets.token_urlsafe(24)
    minutes = settings.ZVENO_BOT_LINK_MINUTES
    LinkToken.objects.create(
        user=actor, messenger=messenger, token_hash=_hash(raw),
        expires_at=timezone.now() + dt.timedelta(minutes=minutes),
    )  # fmt: skip
    return platform.deep_link(raw)


class Replies:
    """What the bot will say once the update's changes are committed."""

    def __init__(self, platform: Platform, incoming: Incoming) -> None:
        self.platform, self.incoming = platform, incoming
        self.messages: list[tuple[str, list]] = []
        self.callback_text: str | None = None

    def say(self, text: str, buttons=()) -> None:
        self.messages.append((text, list(buttons)))

    def send(self) -> None:
        try:
            if self.callback_text is not None and self.incoming.callback_id:
                self.platform.answer(self.incoming, self.callback_text)
            for text, buttons in self.messages:
                self.platform.send(self.incoming.chat_id, text, buttons)
        except Blocked:
            pass
        except Exception as exc:  # the work is done; a lost reply is only logged
            log.warning("%s: reply not sent: %s", self.platform.name, exc)


def handle(platform: Platform, raw: dict) -> str:
    """Handles one raw update of ``platform``; returns what happened (for logs and tests)."""
    if platform.name == "telegram" and collection.heard_from_channel(raw):
        # A channel's post, reactions or a comment in its discussion: analytics keeps them,
        # once even if Telegram delivers the update twice (a comment adds one).
        try:
            with transaction.atomic():
                ProcessedUpdate.objects.create(
                    messenger=platform.name, update_id=str(raw.get("update_id", ""))
                )
                collection.telegram_update_heard(raw)
        except IntegrityError:
            return "duplicate"
        return "channel"
    incoming = platform.parse(raw)
    if incoming is None:
        return "ignored"
    replies = Replies(platform, incoming)
    if incoming.files and _awaiting(incoming) is not None:
        # Downloads happen before the transaction, never while it holds the database.
        try:
            incoming.contents = [platform.fetch(f) for f in incoming.files]
        except Exception as exc:
            log.warning("%s: a file could not be fetched: %s", platform.name, exc)
            replies.say(_("I could not download your file. Please send it again."))
            replies.send()
            return "fetch failed"
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedUpdate.objects.create(
                    messenger=platform.name, update_id=incoming.update_id
                )
        except IntegrityError:
            return "duplicate"
        outcome = _dispatch(incoming, replies)
    replies.send()  # after the commit: the work stands even if a reply is lost
    return outcome


def _account(incoming: Incoming) -> MessengerAccount | None:
    return (
        MessengerAccount.objects.filter(messenger=incoming.messenger, chat_id=incoming.chat_id)
        .select_related("user")
        .first()
    )


def _dispatch(incoming: Incoming, replies: Replies) -> str:
    account = _account(incoming)
    language = account.user.language if account else settings.LANGUAGE_CODE
    with translation.override(language or settings.LANGUAGE_CODE):
        if incoming.command == "start" and incoming.payload:
            return _redeem(incoming, replies)
        if account is None or not account.user.is_active:
            replies.say(_("Hello! To receive Zveno's requests here, open your profile in Zveno, "
                          "“Notifications”, and press “Link”."))  # fmt: skip
            return "unknown chat"
        if account.blocked_at:  # they write to the bot again: reachable again
            MessengerAccount.objects.filter(pk=account.pk).update(blocked_at=None)
        user = account.user
        if incoming.command in {"stop", "unlink"}:
            unlink_messenger(user, incoming.messenger)
            return "unlinked"
        if incoming.callback_data:
            return _button(user, incoming, replies)
        if incoming.command in {"start", "waiting", "help"}:
            _waiting(user, replies)
            return "waiting"
        found = _awaiting(incoming)
        if found and found.kind == Awaiting.CHANGES:
            return _changes_comment(user, found, incoming, replies)
        if found and found.kind == Awaiting.ANSWER:
            return _answer(user, found, incoming, replies)
        replies.say(_("I did not expect a message now. Here is what waits for you:"))
        _waiting(user, replies)
        return "unexpected"


def _awaiting(incoming: Incoming) -> Awaiting | None:
    return Awaiting.objects.filter(
        messenger=incoming.messenger, chat_id=incoming.chat_id, expires_at__gt=timezone.now()
    ).first()


def _redeem(incoming: Incoming, replies: Replies) -> str:
    token = (
        LinkToken.objects.select_for_update()
        .filter(token_hash=_hash(incoming.payload), messenger=incoming.messenger)
        .first()
    )
    if token is None or token.used_at or token.expires_at <= timezone.now():
        replies.say(_("This link has expired or was already used. Open your profile in Zveno "
                      "and press “Link” again."))  # fmt: skip
        return "link refused"
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    user = token.user
    link_messenger(user, incoming.messenger, incoming.chat_id, incoming.username)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        hello = _("Hello, %(name)s! This chat is linked to Zveno: approvals and questions "
                  "will come here. /stop unlinks it.")  # fmt: skip
        replies.say(hello % {"name": user.display_name})
        _waiting(user, replies)
    return "linked"


def _waiting(user, replies: Replies) -> None:
    """Every item that waits for the person's approval and every open request to them."""
    shown = 0
    for membership in ProjectMembership.objects.filter(user=user).select_related("project"):
        items = list(
            ContentItem.objects.filter(
                project=membership.project, state__in=[State.REVIEW, State.EXPERT_APPROVAL]
            ).select_related("project")
        )
        for item in content.awaiting(user, items):
            replies.say(*cards.item_card(user, item))
            shown += 1
        if "expert" in (membership.roles or []):
            for found in expert_requests.requests_of(membership.project).filter(status="open"):
                replies.say(*cards.request_card(user, found))
                shown += 1
    if not shown:
        replies.say(_("Nothing waits for you now."))


def _button(user, incoming: Incoming, replies: Replies) -> str:
    kind, _sep, rest = incoming.callback_data.partition(":")
    try:
        if kind in {cards.APPROVE, cards.CHANGES}:
            item_id, _sep, round_ = rest.partition(":")
            item = ContentItem.objects.select_related("project").get(pk=int(item_id))
            if item.approval_round != int(round_ or 0) or not content.awaits(user, item):
                replies.callback_text = _("This item no longer waits for your decision.")
                return "stale button"
            if kind == cards.APPROVE:
                with transaction.atomic():
                    content.approve(user, item)
                replies.callback_text = _("Approved")
                replies.say("✅ " + _("Approved: %(title)s") % {"title": item.title})
                return "approved"
            _await(incoming, Awaiting.CHANGES, item.pk, item.approval_round)
            replies.callback_text = _("Write what should change")
            replies.say(_("What should change in “%(title)s”? Write it or send a voice message.")
                        % {"title": item.title})  # fmt: skip
            return "asked for comment"
        if kind == cards.ANSWER:
            found = ExpertRequest.objects.select_related("project").get(pk=int(rest))
            access.require(user, found.project, Capability.ANSWER_EXPERT_REQUESTS)
            if found.status != "open":
                replies.callback_text = _("This request has already been answered.")
                return "stale button"
            _await(incoming, Awaiting.ANSWER, found.pk)
            replies.callback_text = _("Send your answer")
            replies.say(_("Send your answer: text, a voice message, photos, video or files. "
                          "The first message is the answer."))  # fmt: skip
            return "asked for answer"
    except (ValueError, ContentItem.DoesNotExist, ExpertRequest.DoesNotExist, Http404):
        replies.callback_text = _("This button is no longer valid.")
        return "bad button"
    except (PermissionDenied, ValidationError) as exc:
        replies.callback_text = _message(exc)
        return "refused"
    replies.callback_text = _("This button is no longer valid.")
    return "bad button"


def _await(incoming: Incoming, kind: str, object_id: int, round_: int = 0) -> None:
    Awaiting.objects.update_or_create(
        messenger=incoming.messenger, chat_id=incoming.chat_id,
        defaults={"kind": kind, "object_id": object_id, "round": round_,
                  "expires_at": timezone.now() + AWAIT_FOR},
    )  # fmt: skip


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)[:200]
    return _("You may not do this.")


def _files(incoming: Incoming) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f.name, content, f.mime or "application/octet-stream")
        for f, content in zip(incoming.files, incoming.contents, strict=True)
    ]


def _changes_comment(user, found: Awaiting, incoming: Incoming, replies: Replies) -> str:
    item = ContentItem.objects.select_related("project").filter(pk=found.object_id).first()
    found.delete()
    if item is None or item.approval_round != found.round or not content.awaits(user, item):
        replies.say(_("This item no longer waits for your decision."))
        return "stale comment"
    comment = incoming.text.strip()
    voices = [c for f, c in zip(incoming.files, incoming.contents, strict=True)
              if f.kind in {"voice", "audio"}]  # fmt: skip
    if voices:
        note = VoiceNote.objects.create(
            item=item, user=user, file=ContentFile(voices[0], name="voice.ogg")
        )
        url = settings.BASE_URL + reverse("bots:voice", args=(item.project.slug, note.pk))
        comment = (comment + "\n" if comment else "") + _("Voice comment: %(url)s") % {"url": url}
    if not comment:
        _await(incoming, Awaiting.CHANGES, item.pk, item.approval_round)
        replies.say(_("Write what should change, or send a voice message."))
        return "empty comment"
    try:
        with transaction.atomic():
            content.request_changes(user, item, comment, return_to="copy")
    except (PermissionDenied, ValidationError) as exc:
        replies.say(_message(exc))
        return "refused"
    replies.say("✏️ " + _("Sent back for changes: %(title)s") % {"title": item.title})
    return "changes requested"


def _answer(user, found: Awaiting, incoming: Incoming, replies: Replies) -> str:
    request = ExpertRequest.objects.select_related("project").filter(pk=found.object_id).first()
    found.delete()
    if request is None or request.status != "open":
        replies.say(_("This request has already been answered."))
        return "stale answer"
    try:
        with transaction.atomic():
            expert_requests.answer(user, request, text=incoming.text, files=_files(incoming))
    except (PermissionDenied, ValidationError) as exc:
        replies.say(_message(exc))
        return "refused"
    replies.say("🙏 " + _("Thank you! Your answer is with the team."))
    return "answered"
