"""A project's channels: where its content is published."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.workspaces.models import Project


class Format(models.TextChoices):
    """What goes out on a channel; a channel's cadence is units a week per format."""

    POST = "post", _("Post")
    CAROUSEL = "carousel", _("Carousel")
    STORIES = "stories", _("Stories")
    REELS = "reels", _("Reels")
    VIDEO = "video", _("Video")
    ARTICLE = "article", _("Article")
    EMAIL = "email", _("E-mail")
    LIVE = "live", _("Live broadcast")
    LEAD_MAGNET = "lead_magnet", _("Lead magnet")
    WARMUP_STEP = "warmup_step", _("Warm-up step")


class Network(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    VK = "vk", _("VK")
    INSTAGRAM = "instagram", "Instagram"
    ODNOKLASSNIKI = "odnoklassniki", _("Odnoklassniki")
    DZEN = "dzen", _("Dzen")
    YOUTUBE = "youtube", "YouTube"
    RUTUBE = "rutube", "Rutube"
    TIKTOK = "tiktok", "TikTok"
    FACEBOOK = "facebook", "Facebook"
    WEBSITE = "website", _("Website")
    EMAIL = "email", _("E-mail list")
    CHAT = "chat", _("Internal chat")
    MAX = "max", "MAX"


class Connection(models.TextChoices):
    """What the last connection test (or the last delivery) said about a channel's access."""

    UNKNOWN = "unknown", _("Not tested")
    OK = "ok", _("Connected")
    NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
    ERROR = "error", _("Test failed")


class Channel(models.Model):
    """One presence of a project on one network (a Telegram channel, a VK community, …)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    name = models.CharField(_("name"), max_length=120)
    handle = models.CharField(_("handle or address"), max_length=200, blank=True)
    # Units per week by format; empty means "as the project's playbook plans for this network".
    cadence = models.JSONField(_("cadence"), default=dict, blank=True)
    # Preferred posting slots, local to the project: [{"weekday": 0-6 (Monday 0), "time": "HH:MM"}].
    slots = models.JSONField(_("posting slots"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Connecting for publishing: the secrets as one Fernet token (core/crypto.py), never shown in
    # full again; a hint of the last characters lets people tell two tokens apart.
    credentials = models.TextField(blank=True, default="", editable=False)
    credentials_hint = models.CharField(max_length=40, blank=True, default="")
    connection = models.CharField(
        _("connection"), max_length=16, choices=Connection.choices, default=Connection.UNKNOWN
    )
    connection_checked_at = models.DateTimeField(null=True, blank=True)
    # The last test's facts: title, members, rights; "reason" for people when it failed.
    connection_result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["network", "name"]

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.name}"

    def __repr__(self) -> str:  # never the credentials
        return f"<Channel {self.pk} {self.network} {self.name!r}>"

    @property
    def is_connected(self) -> bool:
        return bool(self.credentials)
