"""Workspace copies of playbooks, and the playbook a project follows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.playbooks.validation import validate
from zveno.workspaces.models import Project, Workspace


class Cadence(models.TextChoices):
    LOW = "low", _("Low: up to three publications a week per network")
    MEDIUM = "medium", _("Medium: about daily")
    HIGH = "high", _("High: several a day, daily stories and reels")


# The playbooks' per-network plans describe the medium cadence; the others scale it.
CADENCE_FACTOR = {Cadence.LOW: 0.5, Cadence.MEDIUM: 1.0, Cadence.HIGH: 1.5}


class CustomPlaybook(models.Model):
    """A workspace's own playbook: a clone of a built-in one, edited or imported from a file."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="custom_playbooks"
    )
    key = models.CharField(_("key"), max_length=60)  # validated by the playbook schema
    based_on = models.CharField(_("based on"), max_length=60, blank=True)
    document = models.JSONField()  # the validated playbook, in the data-file format
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="uniq_custom_playbook_key"),
        ]

    def __str__(self) -> str:
        return self.key


class ProjectPlaybook(models.Model):
    """The playbook a project follows, frozen as it was when chosen, and the chosen cadence."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="playbook")
    key = models.CharField(max_length=60)
    custom = models.ForeignKey(CustomPlaybook, on_delete=models.SET_NULL, null=True, blank=True)
    document = models.JSONField()
    cadence = models.CharField(
        _("cadence"), max_length=8, choices=Cadence.choices, default=Cadence.MEDIUM
    )
    applied_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.project}: {self.key}"

    @property
    def playbook(self):
        """The frozen document as a validated Playbook (cached on the instance)."""
        if not hasattr(self, "_playbook"):
            self._playbook = validate(self.document, source=f"project {self.project_id}")
        return self._playbook
