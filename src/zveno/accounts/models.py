"""Users with their preferences, invitations and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zveno.workspaces.models import Project, Workspace
from zveno.workspaces.roles import WorkspaceRole


class Language(models.TextChoices):
    RU = "ru", "Русский"
    EN = "en", "English"


class User(AbstractUser):
    """A person who signs in: team member, expert or agency owner."""

    name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.RU
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    telegram_username = models.CharField(_("Telegram username"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once."""

    PREFIX = "zv_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16)  # the first characters, to tell tokens apart
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def new_nonce() -> str:
    return secrets.token_hex(16)


class EmailStatus(models.TextChoices):
    NONE = "none", _("No e-mail")
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An invitation to a workspace or to a project, by e-mail or by a copyable link.

    The link carries a signed (invitation id, nonce) pair; revoking changes nothing but the row,
    and a used or expired invitation is refused, so a link works once.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    workspace_role = models.CharField(
        max_length=16, choices=WorkspaceRole.choices, blank=True
    )  # empty: project only
    job_roles = models.JSONField(default=list)
    capacity_hours = models.DecimalField(max_digits=5, decimal_places=1, default=20)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.RU)
    nonce = models.CharField(max_length=32, default=new_nonce)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(workspace_role="") | models.Q(project__isnull=False),
                name="invitation_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email or 'link'} → {self.project or self.workspace}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def target_name(self) -> str:
        return self.project.name if self.project_id else self.workspace.name
