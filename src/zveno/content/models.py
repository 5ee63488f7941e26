"""Content items, their publications per channel, workflow steps, approvals and activity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zveno.publishing.models import Channel, Format
from zveno.team.models import Stage
from zveno.workspaces.models import Project, ProjectMembership


class Goal(models.TextChoices):
    REACH = "reach", _("Reach")
    ENGAGEMENT = "engagement", _("Engagement")
    LEADS = "leads", _("Leads")
    SALES = "sales", _("Sales")


class State(models.TextChoices):
    IDEA = "idea", _("Idea")
    COPY = "copy", pgettext_lazy("workflow step", "Copy")
    DESIGN = "design", _("Design")
    REVIEW = "review", _("Review")
    EXPERT_APPROVAL = "expert_approval", _("Expert approval")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    CANCELLED = "cancelled", _("Cancelled")


class StepKind(models.TextChoices):
    COPY = "copy", pgettext_lazy("workflow step", "Copy")
    DESIGN = "design", _("Design")
    REVIEW = "review", _("Review")
    EXPERT_APPROVAL = "expert_approval", _("Expert approval")


# Steps that a reviewer may send an item back to.
REDO_STEPS = (StepKind.COPY, StepKind.DESIGN)


class PublicationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


class PolicyMode(models.TextChoices):
    NONE = "none", _("No approval")
    SMM = "smm", _("SMM only")
    SMM_EXPERT = "smm_expert", _("SMM, then the expert")
    CUSTOM = "custom", _("Custom levels")


class LevelRule(models.TextChoices):
    ANY = "any", _("Any approver")
    ALL = "all", _("All approvers")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Rubric(models.Model):
    """A rubric of a project's content mix, copied from its playbook on first use, editable."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rubrics")
    code = models.SlugField(max_length=40)
    name = models.CharField(_("name"), max_length=200)
    target_share = models.PositiveSmallIntegerField(_("target share, %"), default=0)

    class Meta:
        ordering = ["project", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_rubric_code"),
        ]

    def __str__(self) -> str:
        return self.name


class ContentItem(models.Model):
    """One piece of content: what it says, when it goes out, and where it is in the workflow."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="content_items")
    title = models.CharField(_("title"), max_length=300)
    rubric = models.ForeignKey(
        Rubric, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    goal = models.CharField(_("goal"), max_length=16, choices=Goal.choices, default=Goal.REACH)
    stage = models.ForeignKey(
        Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="content_items"
    )
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    planned_at = models.DateTimeField(_("planned at"), null=True, blank=True)  # UTC
    text = models.TextField(_("text"), blank=True)
    visual_brief = models.TextField(_("visual brief"), blank=True)
    link = models.URLField(_("link"), max_length=1000, blank=True)
    is_ad = models.BooleanField(_("advertising"), default=False)
    erid = models.CharField(_("erid"), max_length=100, blank=True)
    advertiser = models.CharField(_("advertiser"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.IDEA)
    changes_from = models.CharField(max_length=20, choices=StepKind.choices, blank=True)
    # Where an item stands in its approval: the level it waits for (1-based, 0 outside approval)
    # and the round, raised by every "changes requested" so that older approvals stop counting.
    current_level = models.PositiveSmallIntegerField(default=0)
    approval_round = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["planned_at", "pk"]
        indexes = [models.Index(fields=["project", "planned_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=State.values), name="content_item_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Publication(models.Model):
    """An item going out on one channel, with its own time and text if they differ."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="publications")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="publications")
    planned_at = models.DateTimeField(null=True, blank=True)  # None: the item's time
    text = models.TextField(blank=True)  # empty: the item's text
    status = models.CharField(
        max_length=16, choices=PublicationStatus.choices, default=PublicationStatus.PLANNED
    )
    url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["item", "channel"], name="uniq_publication_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.channel_id}"

    @property
    def effective_text(self) -> str:
        return self.text or self.item.text

    @property
    def effective_planned_at(self):
        return self.planned_at or self.item.planned_at


class Step(models.Model):
    """A piece of an item's production (copy, design, review, expert approval) with its due time."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    assignee = models.ForeignKey(
        ProjectMembership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["item", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "kind"], name="uniq_step_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.kind}"


class ApprovalPolicy(models.Model):
    """How a project's items are approved; a project without one uses SMM, then the expert."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="approval_policy"
    )
    mode = models.CharField(
        max_length=16, choices=PolicyMode.choices, default=PolicyMode.SMM_EXPERT
    )

    def __str__(self) -> str:
        return f"{self.project_id}: {self.mode}"


class ApprovalLevel(models.Model):
    """One level of a custom policy: its approvers and whether any or all of them must approve."""

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    rule = models.CharField(max_length=4, choices=LevelRule.choices, default=LevelRule.ANY)
    approvers = models.ManyToManyField(ProjectMembership, related_name="+")

    class Meta:
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="uniq_approval_level"),
        ]

    def __str__(self) -> str:
        return self.name


class Approval(models.Model):
    """One approver's decision on an item at one level (the approval history)."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="approvals")
    level = models.PositiveSmallIntegerField()
    round = models.PositiveSmallIntegerField(default=1)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.item_id} L{self.level}: {self.decision}"


class Activity(models.Model):
    """Something that happened to an item: who did what, with the details."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.item_id}: {self.verb}"


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    OTHER = "other", _("File")


class Media(models.Model):
    """An image or a video attached to a content item (stored on the default storage)."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(_("file"), upload_to="content/%Y/%m/")
    kind = models.CharField(max_length=8, choices=MediaKind.choices, default=MediaKind.IMAGE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file.name


class Comment(models.Model):
    """A comment on a content item; @mentions notify the people named."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("comment"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class RequestKind(models.TextChoices):
    STORY = "story", _("A story")
    OPINION = "opinion", _("An opinion")
    VIDEO = "video", _("A video")
    PHOTO = "photo", _("Photos")
    FACTS = "facts", _("Facts and figures")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the expert")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")


class ExpertRequest(models.Model):
    """The SMM asks the expert for material (a deal story, an opinion, a video) by a date."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="expert_requests")
    question = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    due_date = models.DateField(_("due"))
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    items = models.ManyToManyField(ContentItem, blank=True, related_name="expert_requests")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    link_nonce = models.CharField(max_length=32, blank=True)  # revokes login-free links

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.question[:40]


class ExpertAnswer(models.Model):
    """The expert's answer to a request: text and files, in the app or by a login-free link."""

    request = models.ForeignKey(ExpertRequest, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    via_link = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class AnswerFile(models.Model):
    """A file the expert attached to an answer."""

    answer = models.ForeignKey(ExpertAnswer, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="answers/%Y/%m/")

    def __str__(self) -> str:
        return self.file.name


class FeedToken(models.Model):
    """A secret, revocable iCalendar feed URL of a project or of one member."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="feed_tokens")
    membership = models.ForeignKey(
        ProjectMembership, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )  # empty: the whole project's plan
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"feed of {self.project_id}"


class DayOff(models.Model):
    """A day the draft plan generator leaves empty."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="uniq_day_off"),
        ]

    def __str__(self) -> str:
        return str(self.date)


class ApprovalLink(models.Model):
    """A login-free link that lets the project's expert approve one item or one week's items.

    Only the token's SHA-256 is stored; the link expires, and the team revokes it one by one.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="approval_links")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        ContentItem, on_delete=models.CASCADE, null=True, blank=True, related_name="approval_links"
    )
    week = models.DateField(null=True, blank=True)  # the Monday, when the link is for a week
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | models.Q(week__isnull=False),
                name="approval_link_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"approval link {self.pk} of {self.project_id}"
