"""Metrics (posts and their snapshots, channel days, business days), imports, goals and reports.

Raw counters are stored; every figure shown is computed by a named formula in ``formulas.py``.
A counter a network does not report is NULL: absent is not zero.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.publishing.models import Channel
from zveno.workspaces.models import Project


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    IMPORT = "import", _("Imported from a file")
    CONNECTOR = "connector", _("From the network's API")


# Per-post counters, in the order docs/metrics.md lists them.
POST_COUNTERS = (
    "views",
    "reach",
    "impressions",
    "likes",
    "comments",
    "shares",
    "saves",
    "poll_votes",
    "link_clicks",
)
CHANNEL_COUNTERS = (
    "followers",
    "gained",
    "lost",
    "reach",
    "impressions",
    "profile_visits",
    "dialogues",
    "site_clicks",
)
BUSINESS_COUNTERS = (
    "dialogues",
    "leads",
    "lead_magnet_downloads",
    "email_subscribers",
    "site_visits",
    "sales",
    "revenue",
    "ad_spend",
)
MONEY_COUNTERS = ("revenue", "ad_spend")


def _counter(label):
    return models.BigIntegerField(label, null=True, blank=True)


def _money(label):
    return models.DecimalField(label, max_digits=16, decimal_places=2, null=True, blank=True)


class MediaType(models.TextChoices):
    """What a post carries, beside its format: the "content type" every analytics tool splits by."""

    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    LINK = "link", _("Link")
    TEXT = "text", _("Text")
    ALBUM = "album", _("Album")


class Post(models.Model):
    """A post as it went out on a channel: a Zveno publication or one seen in imported data.

    The latest snapshot's counters are copied here (``latest_*``) when a snapshot is written, so
    period summaries read one row per post instead of picking the newest of many snapshots.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="posts")
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    publication = models.OneToOneField(
        "content.Publication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="post",
    )
    # A stable key for de-duplication: the network's post id, or a key an import preset builds.
    external_id = models.CharField(max_length=200)
    # The network's own id of the post (VK "owner_post", a MAX message id) when Zveno reads its
    # figures from the network; empty for posts known only from files or typed in.
    network_id = models.CharField(max_length=100, blank=True, default="")
    published_at = models.DateTimeField(_("published"))
    network = models.CharField(_("network"), max_length=16, blank=True)
    format = models.CharField(_("format"), max_length=20, blank=True)
    media_type = models.CharField(
        _("media type"), max_length=10, choices=MediaType.choices, blank=True
    )
    rubric = models.CharField(_("rubric"), max_length=40, blank=True)  # a Rubric code
    title = models.CharField(_("title"), max_length=300, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    is_promoted = models.BooleanField(_("promoted"), default=False)
    has_expert_input = models.BooleanField(_("with the expert's material"), default=False)
    followers_at_publication = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    last_captured_at = models.DateTimeField(null=True, blank=True)
    latest_views = _counter(_("views"))
    latest_reach = _counter(_("reach"))
    latest_impressions = _counter(_("impressions"))
    latest_likes = _counter(_("likes"))
    latest_comments = _counter(_("comments"))
    latest_shares = _counter(_("shares"))
    latest_saves = _counter(_("saves"))
    latest_poll_votes = _counter(_("poll votes"))
    latest_link_clicks = _counter(_("link clicks"))

    class Meta:
        ordering = ["-published_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="uniq_post_key"),
        ]
        indexes = [
            # Every summary filters one project's posts by publication time.
            models.Index(fields=["project", "published_at"], name="post_project_time"),
            models.Index(fields=["channel", "network_id"], name="post_channel_network_id"),
        ]

    def __str__(self) -> str:
        return self.title or self.external_id


class PostSnapshot(models.Model):
    """A post's counters as captured at one moment (they grow for days after publication)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="snapshots")
    captured_at = models.DateTimeField()
    views = _counter(_("views"))
    reach = _counter(_("reach"))
    impressions = _counter(_("impressions"))
    likes = _counter(_("likes"))
    comments = _counter(_("comments"))
    shares = _counter(_("shares"))
    saves = _counter(_("saves"))
    poll_votes = _counter(_("poll votes"))
    link_clicks = _counter(_("link clicks"))
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey(
        "analytics.Import", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["post", "captured_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "captured_at"], name="uniq_snapshot_time"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.captured_at:%Y-%m-%d %H:%M}"


class ChannelDay(models.Model):
    """A channel's audience and reach for one day (followers at the end of the day)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="channel_days")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    followers = _counter(_("followers"))
    gained = _counter(_("followers gained"))
    lost = _counter(_("followers lost"))
    reach = _counter(_("reach"))
    impressions = _counter(_("impressions"))
    profile_visits = _counter(_("profile visits"))
    dialogues = _counter(_("dialogues started"))
    site_clicks = _counter(_("site clicks"))
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["channel", "date"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "date"], name="uniq_channel_day"),
        ]
        indexes = [models.Index(fields=["project", "date"], name="channelday_project_date")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.date}"


class BusinessDay(models.Model):
    """The business side of a day: dialogues, leads, sales, money; per project, optionally per
    channel or campaign (empty campaign and no channel mean the project as a whole)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="business_days")
    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="business_days"
    )
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    dialogues = _counter(_("dialogues"))
    leads = _counter(_("leads"))
    lead_magnet_downloads = _counter(_("lead magnet downloads"))
    email_subscribers = _counter(_("e-mail subscribers"))
    site_visits = _counter(_("site visits"))
    sales = _counter(_("sales"))
    revenue = _money(_("revenue"))
    ad_spend = _money(_("ad spend"))
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["project", "date"]
        # One row per (project, date, channel, campaign); the services upsert on that key,
        # because a unique constraint over a nullable channel does not hold on every database.
        indexes = [models.Index(fields=["project", "date"], name="businessday_project_date")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.date}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Import(models.Model):
    """One uploaded metrics file and what became of it; the record a background job claims."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    preset = models.CharField(_("preset"), max_length=40)
    mapping = models.JSONField(default=dict, blank=True)  # generic mapper: column -> field
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="queued")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{row, column, message}]
    message = models.TextField(blank=True)
    # The days the imported rows cover (in the project's time zone), so the analytics open there.
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.preset})"


class GoalKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Absolute value")
    MULTIPLE = "multiple", _("Multiple of the baseline")
    GROWTH_PCT = "growth_pct", _("Growth, %")


class GoalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")


class GoalState(models.TextChoices):
    """How an active goal is doing, recomputed from the data."""

    NO_DATA = "no_data", _("No data yet")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    REACHED = "reached", _("Reached")
    MISSED = "missed", _("Missed")


class BaselineMode(models.TextChoices):
    COMPUTED = "computed", _("Computed from the data")
    ENTERED = "entered", _("Entered by hand")


class Goal(models.Model):
    """A measurable target: a metric, a kind of target, a value and a window."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(_("name"), max_length=200)
    metric = models.CharField(_("metric"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=GoalKind.choices)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    window_days = models.PositiveIntegerField(_("window, days"))
    starts_on = models.DateField(_("window starts"), null=True, blank=True)
    baseline_mode = models.CharField(
        _("baseline"), max_length=10, choices=BaselineMode.choices, default=BaselineMode.COMPUTED
    )
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.DRAFT)
    source = models.CharField(max_length=80, blank=True)  # "playbook:<key>" or empty
    # Last evaluation, kept so lists and the agency view need no recomputation.
    state = models.CharField(max_length=10, choices=GoalState.choices, default=GoalState.NO_DATA)
    current_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    # What the pages show of the last evaluation (with ``state`` and ``current_value``): the
    # baseline in effect, the target as a figure, the forecast, and the project's day it was for.
    baseline_figure = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    target_figure = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    forecast_figure = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    evaluated_for = models.DateField(null=True, blank=True)
    # The last change of the figures the goal is measured from (a manual entry); imports and
    # collections are told by their own finished_at. Later than evaluated_at: evaluate again.
    inputs_changed_at = models.DateTimeField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class GoalEvent(models.Model):
    """The activity log of a goal: created, activated, reached, missed, edited."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(max_length=20)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["goal", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.goal_id}: {self.verb}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportSchedule(models.Model):
    """Deliver the period report by e-mail to chosen members, every week or month."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="report_schedules")
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    formats = models.JSONField(default=list, blank=True)  # ["pdf", "xlsx"]
    is_active = models.BooleanField(default=True)
    last_period_end = models.DateField(null=True, blank=True)  # the last period sent
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "frequency"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.frequency}"


class ReportDelivery(models.Model):
    """One period's report sent by one schedule: the record that makes delivery idempotent."""

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, default="queued")  # queued, sent, failed
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"], name="uniq_report_delivery"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_start}–{self.period_end}"


class ReportLink(models.Model):
    """A read-only, expiring link to one period's report for the client; stored as a hash."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="report_links")
    token_hash = models.CharField(max_length=64, unique=True)
    period_start = models.DateField()
    period_end = models.DateField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.period_start}–{self.period_end}"


class CollectionStatus(models.TextChoices):
    OK = "ok", _("Collected")
    PARTIAL = "partial", _("Partly collected")
    FAILED = "failed", _("Not collected")
    NOT_CONNECTED = "not_connected", _("Not connected")
    UNSUPPORTED = "unsupported", _("No figures from this network")


READ_STATUSES = (CollectionStatus.OK, CollectionStatus.PARTIAL)  # passes that read something


class Collection(models.Model):
    """One pass of reading a channel's figures from its network: when, what, what stood in the
    way. The newest row of a channel is its freshness ("collected from VK 12 minutes ago")."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="collections")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="collections")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=10, default="schedule")  # schedule, manual, command
    status = models.CharField(max_length=14, choices=CollectionStatus.choices)
    picked_up = models.PositiveIntegerField(
        default=0
    )  # posts seen on the network for the first time
    matched = models.PositiveIntegerField(default=0)  # …of which matched to the plan
    snapshots = models.PositiveIntegerField(default=0)
    days = models.PositiveSmallIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)  # for people: why not (fully)
    detail = models.TextField(blank=True)  # the network's own words, for the log; no secrets
    note = models.CharField(max_length=500, blank=True)  # what the network never gives

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["channel", "-started_at"], name="collection_channel_time")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
