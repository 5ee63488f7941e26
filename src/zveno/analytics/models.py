"""Goals (KPIs). Metrics, imports and reports come with the analytics part of Zveno."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.workspaces.models import Project


class GoalKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Absolute value")
    MULTIPLE = "multiple", _("Multiple of the baseline")
    GROWTH_PCT = "growth_pct", _("Growth, %")


class GoalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")


class Goal(models.Model):
    """A measurable target: a metric, a kind of target, a value and a window."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(_("name"), max_length=200)
    metric = models.CharField(_("metric"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=GoalKind.choices)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    window_days = models.PositiveIntegerField(_("window, days"))
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.DRAFT)
    source = models.CharField(max_length=80, blank=True)  # "playbook:<key>" or empty
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
