"""Notifications: the inbox row, a person's preferences, one delivery per channel, and the
messenger accounts people linked."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.notifications.events import CHANNELS, MESSENGERS
from zveno.workspaces.models import Project


class Notification(models.Model):
    """Something a member should know (a goal reached, an approval requested, …): the inbox
    row, and the record every channel's delivery hangs on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=40)  # an event of notifications.events
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    # What a messenger needs to show the subject and offer its buttons ({"item": 12}, …).
    data = models.JSONField(default=dict, blank=True)
    # The subject, e.g. "goal:12": one notification per person, subject and verb, however
    # often the subject is evaluated.
    key = models.CharField(max_length=80)
    in_app = models.BooleanField(default=True)  # shown in the inbox (the person may turn it off)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "verb"], name="uniq_notification"),
        ]

    def __str__(self) -> str:
        return self.text


class Preference(models.Model):
    """A person's own choice of channels for one event (no row: the default for their role)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    verb = models.CharField(max_length=40)
    channels = models.JSONField(default=list)  # a subset of events.CHANNELS; empty = off

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "verb"], name="uniq_pref")]

    def __str__(self) -> str:
        return f"{self.verb}: {', '.join(self.channels) or 'off'}"


class Settings(models.Model):
    """A person's quiet hours (in their own time zone) and daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_to = models.TimeField(_("quiet until"), null=True, blank=True)
    digest = models.BooleanField(_("daily digest"), default=False)
    digest_at = models.TimeField(_("digest at"), default=dt.time(9, 0))
    last_digest_at = models.DateTimeField(null=True, blank=True)

    DEFAULT_QUIET = (dt.time(22, 0), dt.time(9, 0))

    class Meta:
        verbose_name = _("notification settings")

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")  # attempts left: retried after not_before
    GAVE_UP = "gave_up", _("gave up")
    DIGEST = "digest", _("in the digest")  # waits for the person's daily digest
    SKIPPED = "skipped", _("skipped")  # nowhere to send (no address, unlinked, blocked)


class Delivery(models.Model):
    """One notification sent through one channel (e-mail or a messenger), with its attempts."""

    CHANNEL_CHOICES = [(c, c) for c in CHANNELS]

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=CHANNEL_CHOICES)
    # A digest delivery carries its own text; the notifications it covers point at it.
    text = models.TextField(blank=True)
    digest_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="covered"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    not_before = models.DateTimeField()  # quiet hours and retries push it later
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}: {self.status}"


class MessengerAccount(models.Model):
    """A person's account in a messenger, linked through the bot: where their messages go."""

    MESSENGER_CHOICES = [(m, m) for m in MESSENGERS]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messenger_accounts"
    )
    messenger = models.CharField(max_length=20, choices=MESSENGER_CHOICES)
    chat_id = models.CharField(max_length=64)
    username = models.CharField(max_length=64, blank=True)
    linked_at = models.DateTimeField(auto_now_add=True)
    blocked_at = models.DateTimeField(null=True, blank=True)  # the person blocked the bot

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "messenger"], name="uniq_messenger_user"),
            models.UniqueConstraint(fields=["messenger", "chat_id"], name="uniq_messenger_chat"),
        ]

    def __str__(self) -> str:
        return f"{self.messenger}:{self.chat_id}"

    @property
    def reachable(self) -> bool:
        return self.blocked_at is None
