"""The bot's own records: one-time link tokens, updates already processed, what a chat is
expected to say next, and where long polling stopped."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LinkToken(models.Model):
    """A one-time, expiring token of a deep link (``t.me/<bot>?start=<token>``); only its
    SHA-256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    messenger = models.CharField(max_length=20)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.messenger} link of {self.user_id}"


class ProcessedUpdate(models.Model):
    """An update already handled: a second delivery of the same update changes nothing."""

    messenger = models.CharField(max_length=20)
    update_id = models.CharField(max_length=120)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["messenger", "update_id"], name="uniq_bot_update")
        ]

    def __str__(self) -> str:
        return f"{self.messenger}:{self.update_id}"


class Awaiting(models.Model):
    """What the chat's next message is: the comment of "request changes" on an item, or the
    answer to an expert request."""

    CHANGES, ANSWER = "changes", "answer"

    messenger = models.CharField(max_length=20)
    chat_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)
    object_id = models.PositiveIntegerField()
    round = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["messenger", "chat_id"], name="uniq_bot_awaiting")
        ]

    def __str__(self) -> str:
        return f"{self.messenger}:{self.chat_id} awaits {self.kind} {self.object_id}"


class PollState(models.Model):
    """Where long polling of one messenger stopped (the next offset or marker)."""

    messenger = models.CharField(max_length=20, unique=True)
    offset = models.CharField(max_length=40, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.messenger} at {self.offset}"


class VoiceNote(models.Model):
    """A voice message the expert sent as their comment when asking for changes."""

    item = models.ForeignKey("content.ContentItem", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to="voice/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name
