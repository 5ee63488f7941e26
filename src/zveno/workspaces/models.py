"""Workspaces own projects; people join a workspace, a project, or both."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zveno.workspaces.roles import JobRole, WorkspaceRole


class Niche(models.TextChoices):
    REAL_ESTATE = "real_estate", _("Real estate")
    INFO_PRODUCT = "info_product", _("Info-product launch")
    ECOMMERCE = "ecommerce", _("Goods / e-commerce")
    EXPERT_BRAND = "expert_brand", _("Expert personal brand / services")
    LOCAL_BUSINESS = "local_business", _("Local business")
    OTHER = "other", _("Other")


class GoalType(models.TextChoices):
    LEADS = "leads", _("Leads and applications")
    LAUNCH_SALES = "launch_sales", _("Launch sales")
    REACH_TRAFFIC = "reach_traffic", _("Reach and traffic")
    BRAND = "brand", _("Brand")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


class Workspace(models.Model):
    """An agency or a freelancer: owns projects and employs people."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")

    def __str__(self) -> str:
        return self.name


class WorkspaceMembership(models.Model):
    """A person's role in a workspace (owner, admin, member)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workspace_memberships"
    )
    role = models.CharField(max_length=16, choices=WorkspaceRole.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="uniq_workspace_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace} ({self.role})"


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectQuerySet:
        """Projects a user may open: all of a workspace they manage, plus their own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        managed = WorkspaceMembership.objects.filter(
            user=user, role__in=[WorkspaceRole.OWNER, WorkspaceRole.ADMIN]
        ).values("workspace_id")
        member_of = ProjectMembership.objects.filter(user=user).values("project_id")
        return self.filter(models.Q(workspace_id__in=managed) | models.Q(pk__in=member_of))


class Project(models.Model):
    """One client's SMM project: a niche, a goal, dates, a team."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    niche = models.CharField(_("niche"), max_length=32, choices=Niche.choices)
    goal_type = models.CharField(_("goal"), max_length=32, choices=GoalType.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="project_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectMembership(models.Model):
    """A person on a project's team: their job roles and weekly capacity."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    roles = models.JSONField(_("roles"), default=list)
    capacity_hours = models.DecimalField(
        _("capacity, hours a week"), max_digits=5, decimal_places=1, default=20
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="uniq_project_member"),
            models.CheckConstraint(
                condition=models.Q(capacity_hours__gte=0) & models.Q(capacity_hours__lte=168),
                name="member_capacity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project}"

    @property
    def role_labels(self) -> list[str]:
        labels = dict(JobRole.choices)
        return [str(labels.get(role, role)) for role in self.roles]

    @property
    def is_expert(self) -> bool:
        return JobRole.EXPERT in self.roles
