"""Analytics pages: the project's goals — list with progress bars, detail, create, edit,
activate, delete, and drafts from the playbook's KPI templates."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zveno.analytics import goals as goal_metrics
from zveno.analytics.models import BaselineMode, GoalKind, GoalStatus
from zveno.analytics.services import goals as goal_services
from zveno.core.forms import DateInput, apply_errors
from zveno.workspaces import access
from zveno.workspaces.roles import Capability


class GoalForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), choices=())
    kind = forms.ChoiceField(label=gettext_lazy("Kind of target"), choices=GoalKind.choices)
    target = forms.DecimalField(
        label=gettext_lazy("Target"),
        max_digits=16,
        decimal_places=2,
        help_text=gettext_lazy("A value, a multiple (5 for ×5) or a growth in % (281 for +281 %)"),
    )
    window_days = forms.IntegerField(
        label=gettext_lazy("Window, days"), min_value=1, max_value=goal_services.MAX_WINDOW_DAYS
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Window starts"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Empty: the project's start, or the day the goal is activated"),
    )
    baseline_mode = forms.ChoiceField(
        label=gettext_lazy("Baseline"), choices=BaselineMode.choices, initial="computed"
    )
    baseline_value = forms.DecimalField(
        label=gettext_lazy("Baseline value"),
        required=False,
        max_digits=18,
        decimal_places=4,
        help_text=gettext_lazy("Only when the baseline is entered by hand"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = goal_metrics.metric_choices()


def _context(granted, **extra) -> dict:
    return {
        "project": granted.project,
        "granted": granted,
        "tab": "goals",
        "can_manage": granted.can(Capability.MANAGE_ANALYTICS),
        **extra,
    }


def _rows(goals) -> list[dict]:
    rows = []
    for goal in goals:
        ev = goal_metrics.evaluate(goal)
        rows.append({"goal": goal, "ev": ev, "metric": goal_metrics.METRICS.get(goal.metric)})
    return rows


@access.member_required
def goals(request, slug):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    all_goals = list(project.goals.select_related("project"))
    active = [g for g in all_goals if g.status == GoalStatus.ACTIVE]
    drafts = [g for g in all_goals if g.status != GoalStatus.ACTIVE]
    ctx = _context(
        granted,
        active_pairs=[(g, goal_metrics.evaluate(g)) for g in active],
        drafts=_rows(drafts),
        has_playbook=hasattr(project, "playbook"),
    )
    return render(request, "analytics/goals.html", ctx)


@access.member_required
def goal(request, slug, goal_id: int):
    granted = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS)
    project = granted.project
    found = get_object_or_404(project.goals.select_related("project"), pk=goal_id)
    ev = goal_metrics.evaluate(found)
    metric = goal_metrics.METRICS.get(found.metric)
    days = []
    if metric is not None:
        end = min(ev.window_end, ev.today)
        values = goal_metrics.daily(project, found.metric, ev.baseline_start, end)
        days = [
            {"date": day, "value": value, "in_window": day >= ev.window_start}
            for day, value in values
        ]
    events = found.events.select_related("actor")
    ctx = _context(granted, goal=found, ev=ev, metric=metric, days=days, events=events)
    return render(request, "analytics/goal_detail.html", ctx)


def _save(request, granted, found=None):
    project = granted.project
    initial = {"window_days": 30, "kind": GoalKind.MULTIPLE, "baseline_mode": "computed"}
    if found is not None:
        initial = {name: getattr(found, name) for name in goal_services.FIELDS}
    form = GoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if found is None:
                activate = "activate" in request.POST
                found = goal_services.create_goal(request.user, project, activate=activate, **data)
                messages.success(request, _("Goal created."))
            else:
                goal_services.update_goal(request.user, found, **data)
                messages.success(request, _("Goal saved."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("analytics:goal", project.slug, found.pk)
    ctx = _context(granted, form=form, goal=found)
    return render(request, "analytics/goal_form.html", ctx)


@access.member_required
def goal_new(request, slug):
    return _save(request, access.grant_for(request.user, slug, Capability.MANAGE_ANALYTICS))


@access.member_required
def goal_edit(request, slug, goal_id: int):
    granted = access.grant_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    project = granted.project
    found = get_object_or_404(project.goals.select_related("project"), pk=goal_id)
    return _save(request, granted, found)


@access.member_required
@require_POST
def goal_activate(request, slug, goal_id: int):
    project = access.project_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    found = get_object_or_404(project.goals.select_related("project"), pk=goal_id)
    goal_services.activate_goal(request.user, found)
    messages.success(request, _("Goal activated: %(name)s.") % {"name": found.name})
    return redirect("analytics:goals", project.slug)


@access.member_required
@require_POST
def goal_delete(request, slug, goal_id: int):
    project = access.project_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    found = get_object_or_404(project.goals, pk=goal_id)
    goal_services.delete_goal(request.user, found)
    messages.success(request, _("Goal deleted: %(name)s.") % {"name": found.name})
    return redirect("analytics:goals", project.slug)


@access.member_required
@require_POST
def goal_drafts(request, slug):
    """Drafts the goals again from the playbook's KPI templates (earlier drafts replaced)."""
    project = access.project_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    try:
        drafted = goal_services.draft_from_playbook(request.user, project)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s draft goals from the playbook.") % {"n": len(drafted)})
    return redirect("analytics:goals", project.slug)


urls = [
    path("p/<slug:slug>/analytics/goals/", goals, name="goals"),
    path("p/<slug:slug>/analytics/goals/new/", goal_new, name="goal_new"),
    path("p/<slug:slug>/analytics/goals/drafts/", goal_drafts, name="goal_drafts"),
    path("p/<slug:slug>/analytics/goals/<int:goal_id>/", goal, name="goal"),
    path("p/<slug:slug>/analytics/goals/<int:goal_id>/edit/", goal_edit, name="goal_edit"),
    path(
        "p/<slug:slug>/analytics/goals/<int:goal_id>/activate/",
        goal_activate,
        name="goal_activate",
    ),
    path("p/<slug:slug>/analytics/goals/<int:goal_id>/delete/", goal_delete, name="goal_delete"),
]
