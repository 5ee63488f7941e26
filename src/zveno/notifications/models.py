"""In-app notifications: one row per person and subject."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zveno.workspaces.models import Project


class Notification(models.Model):
    """Something a member should see in their inbox (a goal reached, …)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=20)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    # The subject, e.g. "goal:12": one notification per person, subject and verb, however
    # often the subject is evaluated.
    key = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "verb"], name="uniq_notification"),
        ]

    def __str__(self) -> str:
        return self.text
