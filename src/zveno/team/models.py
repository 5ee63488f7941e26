"""The project's responsibility areas and matrix, agreements, stages and tasks, health settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.workspaces.models import Project, ProjectMembership, Workspace

LETTERS = "RACI"  # Responsible, Accountable, Consulted, Informed
# A click on a matrix cell moves it to the next state; "AR" is one person both doing and owning.
CYCLE = ["", "R", "A", "AR", "C", "I"]


def normalise_letters(value: str) -> str:
    """Letters in R, A, C, I order without repeats: 'ra' -> 'RA'."""
    wanted = set((value or "").upper())
    unknown = wanted - set(LETTERS)
    if unknown:
        raise ValueError(f"unknown RACI letters: {''.join(sorted(unknown))}")
    return "".join(letter for letter in LETTERS if letter in wanted)


class Area(models.Model):
    """A responsibility area of one project (strategy, copy, visuals, …), from its playbook."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="areas")
    code = models.SlugField(max_length=40)
    name_ru = models.CharField(max_length=160)
    name_en = models.CharField(max_length=160)
    description_ru = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_area_code"),
        ]

    def __str__(self) -> str:
        return self.code

    def name(self, language: str = "ru") -> str:
        return self.name_en if language == "en" else self.name_ru


class Assignment(models.Model):
    """One cell of the matrix: what a team member is for an area (R, A, C, I or e.g. 'AR')."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="assignments")
    membership = models.ForeignKey(
        ProjectMembership, on_delete=models.CASCADE, related_name="assignments"
    )
    letters = models.CharField(max_length=4)
    # Given to this person only because nobody on the team holds the playbook's role for it.
    fallback = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "membership"], name="uniq_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.area.code}/{self.membership_id}: {self.letters}"


class Agreement(models.Model):
    """A frozen version of the matrix ("who does what"), accepted by each member.

    The newest version stays open, following the matrix, until someone accepts it; a change
    after that starts version N+1.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveIntegerField()
    note = models.TextField(_("note"), blank=True)
    # {"areas": [{code, name_ru, name_en}], "members": [{id, user_id, name, roles}],
    #  "cells": {"<area code>": {"<membership id>": "AR"}}}
    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="uniq_agreement_version"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.version}"


class AgreementAcceptance(models.Model):
    """A team member's acceptance of one agreement version, with its time stamp."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "user"], name="uniq_acceptance"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.agreement}"


class Stage(models.Model):
    """A stage of the project's playbook with its dates (strategy, warm-up, open cart, …)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="stages"
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    deliverables = models.JSONField(default=list, blank=True)  # list of strings
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="stage_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Task(models.Model):
    """A piece of work in a stage, with an assignee, a due date, an estimate and a status."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(
        ProjectMembership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    estimate_hours = models.DecimalField(
        _("estimate, hours"), max_digits=6, decimal_places=1, default=0
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO
    )
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimate_hours__gte=0), name="task_estimate_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """A line of a task's checklist, ticked by the person responsible."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=300)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text


class HealthSettings(models.Model):
    """A workspace's thresholds for the health rules."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="health_settings"
    )
    roles_alarm = models.PositiveSmallIntegerField(
        _("job roles of one person that raise H5"), default=4
    )  # this many or more
    max_responsible_areas = models.PositiveSmallIntegerField(
        _("areas one person may be Responsible for"), default=10
    )  # more than this raises H5
    overload_percent = models.PositiveSmallIntegerField(
        _("load counted as overload, %"), default=100
    )
    overload_weeks = models.PositiveSmallIntegerField(
        _("overloaded weeks that raise H6"), default=2
    )
    horizon_weeks = models.PositiveSmallIntegerField(_("weeks looked ahead"), default=4)
    expert_min_share = models.PositiveSmallIntegerField(
        _("minimum share of content with expert input, %"), default=30
    )

    def __str__(self) -> str:
        return f"health settings of {self.workspace}"


class TeamSummary(models.Model):
    """A project's team health and load as last computed, so lists of projects read, not compute."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="team_summary"
    )
    status = models.CharField(max_length=8, default="ok")  # the worst severity found, or "ok"
    critical = models.PositiveSmallIntegerField(default=0)
    warnings = models.PositiveSmallIntegerField(default=0)
    infos = models.PositiveSmallIntegerField(default=0)
    # The critical findings, each {"code": "H6", "title": {"ru": "…", "en": "…"}}: titles name
    # people and numbers, so they are kept written out in every language of the interface.
    critical_findings = models.JSONField(default=list, blank=True)
    load_peak = models.IntegerField(null=True, blank=True)  # busiest staff member's peak, %
    overloaded = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField()
    computed_for = models.DateField()  # the project's day the figures were computed on
    # The last time one of the inputs (team, matrix, tasks, plan, channels, thresholds) changed;
    # a summary computed before it is recomputed when read.
    inputs_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"team summary of {self.project_id}"
