"""The one way to notify members, and the writes of their preferences and messenger accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core.jobs import enqueue
from zveno.core.seams import Seam
from zveno.notifications import messengers
from zveno.notifications.events import CHANNELS, EMAIL, EVENTS, IN_APP, MESSENGERS, event
from zveno.notifications.models import (
    Delivery,
    DeliveryStatus,
    MessengerAccount,
    Notification,
    Preference,
    Settings,
)
from zveno.notifications.selectors import (
    after_quiet_hours,
    audience,
    channels_for,
    messenger_accounts,
    settings_for,
)
from zveno.workspaces import access
from zveno.workspaces.models import ProjectMembership

DELIVER_TASK = "zveno.notifications.tasks.deliver"

# The bot says goodbye in the chat when a person unlinks from their profile: ``(account)``.
MESSENGER_UNLINKED = Seam("notifications.MESSENGER_UNLINKED")


@transaction.atomic
def notify(
    users: Iterable,
    *,
    project,
    verb: str,
    key: str,
    text: str,
    url: str = "",
    data: Mapping | None = None,
) -> list[Notification]:
    """Tells each user about ``key`` once per ``verb`` (a repeat for the same subject is a no-op,
    so evaluating a goal twice never notifies twice), through the channels they chose for the
    event (else their role's default). ``verb`` must be declared in ``notifications.events``.
    Returns the new notifications; their e-mails and messages leave after the commit."""
    ev = event(verb)
    created = []
    for user in {u.pk: u for u in users}.values():
        channels = channels_for(user, verb, project)
        note, new = Notification.objects.get_or_create(
            user=user,
            key=key,
            verb=verb,
            defaults={
                "project": project,
                "text": text[:300],
                "url": url[:300],
                "data": dict(data or {}),
                "in_app": IN_APP in channels,
            },
        )
        if new:
            created.append(note)
            _plan(note, channels, digestible=ev.digest, project=project)
    return created


def _plan(note: Notification, channels: frozenset[str], *, digestible: bool, project) -> None:
    """One delivery per outward channel: the messengers the person linked (and the bot can
    reach), the e-mail if chosen, or the e-mail instead of a messenger that cannot reach them."""
    user = note.user
    accounts = messenger_accounts(user)
    wanted = [c for c in MESSENGERS if c in channels]
    reachable = [
        m for m in wanted if m in accounts and accounts[m].reachable and messengers.sender(m)
    ]
    targets = list(reachable)
    if EMAIL in channels or (wanted and not reachable):
        targets.append(EMAIL)
    if EMAIL in targets and not user.email:
        targets.remove(EMAIL)
    if not targets:
        return
    prefs = settings_for(user)
    now = timezone.now()
    status = DeliveryStatus.DIGEST if prefs.digest and digestible else DeliveryStatus.PENDING
    not_before = after_quiet_hours(user, now, prefs, project)
    ready = []
    for channel in targets:
        delivery = Delivery.objects.create(
            notification=note, user=user, channel=channel, status=status, not_before=not_before
        )
        if status == DeliveryStatus.PENDING and not_before <= now:
            ready.append(delivery.pk)
    for pk in ready:
        transaction.on_commit(lambda pk=pk: enqueue(DELIVER_TASK, pk))


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ids) read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# Preferences -------------------------------------------------------------------------------


@transaction.atomic
def save_preferences(actor, choices: Mapping[str, Iterable[str]]) -> None:
    """Saves the person's own channels per event; an event left at its default keeps no row."""
    access.own_account(actor)
    for verb, channels in choices.items():
        event(verb)
        chosen = sorted(set(channels))
        unknown = set(chosen) - set(CHANNELS)
        if unknown:
            raise ValidationError(_("Unknown channel: %(name)s") % {"name": ", ".join(unknown)})
        Preference.objects.update_or_create(user=actor, verb=verb, defaults={"channels": chosen})


@transaction.atomic
def reset_preferences(actor) -> None:
    access.own_account(actor)
    Preference.objects.filter(user=actor).delete()


@transaction.atomic
def save_settings(
    actor,
    *,
    quiet_from: dt.time | None,
    quiet_to: dt.time | None,
    digest: bool,
    digest_at: dt.time,
) -> Settings:
    """Quiet hours (both ends or neither) and the daily digest."""
    access.own_account(actor)
    if (quiet_from is None) != (quiet_to is None):
        raise ValidationError(
            {"quiet_to": _("Give both ends of the quiet hours, or leave both empty.")}
        )
    prefs, _created = Settings.objects.update_or_create(
        user=actor,
        defaults={
            "quiet_from": quiet_from,
            "quiet_to": quiet_to,
            "digest": digest,
            "digest_at": digest_at,
        },
    )
    if not digest:  # what waited for a digest goes out now (or after the quiet hours)
        held = Delivery.objects.filter(
            user=actor, status=DeliveryStatus.DIGEST, digest_of__isnull=True
        )
        held.update(
            status=DeliveryStatus.PENDING,
            not_before=after_quiet_hours(actor, timezone.now(), prefs),
        )
    return prefs


# Messenger accounts ------------------------------------------------------------------------


@transaction.atomic
def link_messenger(user, messenger: str, chat_id: str, username: str = "") -> MessengerAccount:
    """Links the person's chat in ``messenger`` (the bot calls this when a link token is
    redeemed). The chat moves from any other person who had it; a blocked mark is cleared."""
    if messenger not in MESSENGERS:
        raise ValidationError(_("Unknown messenger: %(name)s") % {"name": messenger})
    MessengerAccount.objects.filter(messenger=messenger, chat_id=str(chat_id)).exclude(
        user=user
    ).delete()
    account, _created = MessengerAccount.objects.update_or_create(
        user=user,
        messenger=messenger,
        defaults={"chat_id": str(chat_id), "username": username[:64], "blocked_at": None},
    )
    return account


@transaction.atomic
def unlink_messenger(user, messenger: str) -> bool:
    """Forgets the person's account in ``messenger``; True when there was one. The bot is told
    (after the commit) so the chat hears it too."""
    account = MessengerAccount.objects.filter(user=user, messenger=messenger).first()
    if account is None:
        return False
    account.delete()
    account.pk = None
    transaction.on_commit(lambda: MESSENGER_UNLINKED(account))
    Delivery.objects.filter(
        user=user, channel=messenger, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    ).update(status=DeliveryStatus.SKIPPED, error="unlinked")
    return True


@transaction.atomic
def mark_blocked(account: MessengerAccount) -> None:
    """The person blocked the bot: marked, and the project managers are told (once per block)."""
    if account.blocked_at:
        return
    account.blocked_at = timezone.now()
    account.save(update_fields=["blocked_at"])
    _tell_unreachable(account)


def _tell_unreachable(account: MessengerAccount) -> None:
    person = account.user
    seen = set()
    for membership in ProjectMembership.objects.filter(user=person).select_related("project"):
        project = membership.project
        if project.pk in seen:
            continue
        seen.add(project.pk)
        managers = [
            m.user
            for m in project.memberships.select_related("user")
            if m.user_id != person.pk and audience(m.user, project) == "manager"
        ]
        text = _("%(name)s blocked the %(messenger)s bot and gets e-mails instead") % {
            "name": person.display_name,
            "messenger": account.get_messenger_display(),
        }
        key = f"unreachable:{account.messenger}:{person.pk}:{account.blocked_at:%Y%m%d%H%M}"
        notify(managers, project=project, verb="messenger_unreachable", key=key, text=text)


def event_labels() -> dict[str, str]:
    return {verb: str(ev.label) for verb, ev in EVENTS.items()}
