"""A project's channels: where its content is published."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import models
from django.utils import timezone, translation
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


# A network's short mark for small places (a calendar card's icon); the full name is its title.
NETWORK_MARKS = {
    "telegram": "TG", "vk": "VK", "instagram": "IG", "odnoklassniki": "OK", "dzen": "DZ",
    "youtube": "YT", "rutube": "RT", "tiktok": "TT", "facebook": "FB", "website": "W",
    "email": "@", "chat": "#", "max": "M",
}  # fmt: skip


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

    @property
    def own_name(self) -> str:
        """The name when it says more than the network's ("" for a channel "Instagram" on
        Instagram), so pages never read "Instagram · Instagram"."""
        return own_name_of(self.network, self.name)

    @property
    def label(self) -> str:
        """The network, then the channel's own name when it has one: "VK · Риэлтор Марина"."""
        return channel_label(self.network, self.name)


@functools.cache
def _network_names(network: str) -> frozenset[str]:
    """The network's code and its name in both languages of the product, lower-cased (the
    translations do not change while the process runs, so this is worked out once)."""
    label = Network(network).label
    same = {network.lower()}
    for language in ("en", "ru"):
        with translation.override(language):
            same.add(str(label).lower())
    return frozenset(same)


def own_name_of(network: str, name: str) -> str:
    """``Channel.own_name`` from the two columns it reads."""
    name = name.strip()
    if network not in Network.values:
        return name
    same = _network_names(network) | {str(Network(network).label).lower()}
    return "" if name.lower() in same else name


def channel_label(network: str, name: str) -> str:
    """``Channel.label`` from the two columns it reads, in the active language."""
    shown = str(Network(network).label) if network in Network.values else network
    own = own_name_of(network, name)
    return f"{shown} · {own}" if own else shown


def channel_labels() -> Callable[[str, str], str]:
    """``channel_label`` for a long list: each (network, name) worked out once a list."""
    known: dict[tuple[str, str], str] = {}

    def label(network: str, name: str) -> str:
        key = (network, name)
        if key not in known:
            known[key] = channel_label(network, name)
        return known[key]

    return label


# --- delivery: the scheduler's record of what is due and what was done ---------------------------


class DispatchState(models.TextChoices):
    PLANNED = "planned", _("Planned")  # not approved (yet, or any more): not sent
    SCHEDULED = "scheduled", _("Scheduled")  # approved; goes out at due_at (or next_try_at)
    SENDING = "sending", _("Sending")  # claimed by a worker under a lease
    PUBLISHED = "published", _("Published")
    LATE = "late", _("Published late")  # went out after its time, marked so
    NEEDS_CHECK = "needs_check", _("Needs a check")  # may have gone out: a person says
    FAILED = "failed", _("Failed")  # the network refused, or it kept failing
    HELD = "held", _("Held")  # the channel needs reconnecting, or it was missed: a person decides
    CANCELLED = "cancelled", _("Cancelled")


class HoldReason(models.TextChoices):
    RECONNECT = "reconnect", _("The channel needs reconnecting")
    MISSED = "missed", _("Its time passed while nothing ran")


class MissedPolicy(models.TextChoices):
    AUTO = "auto", _("Publish late if under 2 hours, else hold and ask")
    LATE = "late", _("Publish late, marked late")
    HOLD = "hold", _("Hold and ask")


class PublishingSettings(models.Model):
    """A project's choices for delivery: what to do with a publication missed while nothing ran."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="publishing_settings"
    )
    missed = models.CharField(
        _("missed publications"), max_length=8, choices=MissedPolicy.choices,
        default=MissedPolicy.AUTO,
    )  # fmt: skip

    def __str__(self) -> str:
        return f"{self.project_id}: {self.missed}"


class Dispatch(models.Model):
    """The delivery of one publication to its channel: its state, and the lease of the worker
    that holds it. `ref` is the publication's id in the app that plans content."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="dispatches")
    ref = models.PositiveBigIntegerField(unique=True)
    guid = models.CharField(max_length=32, unique=True)  # the network's dedup key, per dispatch
    state = models.CharField(
        max_length=12, choices=DispatchState.choices, default=DispatchState.SCHEDULED
    )
    due_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)  # after a rate limit or a failure
    hold_reason = models.CharField(max_length=12, choices=HoldReason.choices, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)  # transient failures in a row
    send_late = models.BooleanField(default=False)  # a person chose "publish it late"
    external_id = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)  # the last error, for people
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="dispatch_due")]

    def __str__(self) -> str:
        return f"dispatch {self.pk} ({self.state})"

    @property
    def went_out(self) -> bool:
        return self.state in (DispatchState.PUBLISHED, DispatchState.LATE)

    @property
    def in_flight(self) -> bool:
        """Being sent, or due now and waiting only for a worker (seconds): not yet settled."""
        if self.state == DispatchState.SENDING:
            return True
        now = timezone.now()
        return (
            self.state == DispatchState.SCHEDULED
            and self.due_at is not None and self.due_at <= now
            and (self.next_try_at is None or self.next_try_at <= now)
        )  # fmt: skip


class AttemptKind(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    RECONCILE = "reconcile", _("Check on the network")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    CONFIRM = "confirm", _("Confirmed by a person")


class Attempt(models.Model):
    """One request to a network, written before it goes out; its outcome after it came back.
    An empty outcome means nobody knows yet (the worker may have died on the way)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="attempts")
    kind = models.CharField(max_length=12, choices=AttemptKind.choices)
    worker = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)  # an OutcomeKind value, "" unknown
    request = models.JSONField(default=dict, blank=True)  # a summary, never a secret
    response = models.TextField(blank=True)  # the network's words, id and link
    reason = models.TextField(blank=True)  # for people

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome or '…'}"


class RateSlot(models.Model):
    """The next moment a rate-limited key (a token, a channel) may send, shared by all workers."""

    key = models.CharField(max_length=120, primary_key=True)
    next_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
