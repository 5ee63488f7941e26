"""The workload page of a project and the workspace's health thresholds.

The workload (hours against capacity per person) is the team's internal planning: it needs
EDIT_CONTENT, so the people who make the content and the leads see it and the expert does not.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zveno.core.forms import apply_errors
from zveno.team import health_settings, staffing, workload
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

WEEK_CHOICES = (4, 8, 12)


class HealthSettingsForm(forms.Form):
    """The workspace's thresholds, each within its allowed range."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in health_settings.FIELDS:
            low, high = health_settings.LIMITS[name]
            self.fields[name] = forms.IntegerField(
                label=health_settings.LABELS[name],
                min_value=low,
                max_value=high,
                help_text=health_settings.HELP[name],
            )


def _weeks(value: str | None) -> int:
    try:
        weeks = int(value or WEEK_CHOICES[0])
    except ValueError:
        return WEEK_CHOICES[0]
    return weeks if 1 <= weeks <= 26 else WEEK_CHOICES[0]


@access.member_required
@require_GET
def workload_page(request, slug: str):
    """Members × weeks heat map, uncovered roles, and the recommended team; htmx swaps the map."""
    granted = access.grant_for(request.user, slug, need=Capability.EDIT_CONTENT)
    project = granted.project
    weeks = _weeks(request.GET.get("weeks"))
    if request.headers.get("HX-Request"):
        context = {"project": project, "workload": workload.project_load(project, weeks=weeks)}
        return render(request, "team/partials/_heatmap.html", context)
    with workload.shared_reads(project):
        context = {
            "project": project,
            "granted": granted,
            "tab": "workload",
            "weeks": weeks,
            "week_choices": WEEK_CHOICES,
            "workload": workload.project_load(project, weeks=weeks),
            "recommendation": staffing.recommendation(project),
        }
    return render(request, "team/workload.html", context)


@access.member_required
def health_settings_page(request, ws: str):
    workspace = access.workspace_for(request.user, ws, need=Capability.WORKSPACE_MANAGE)
    current = health_settings.settings_for(workspace)
    initial = {name: getattr(current, name) for name in health_settings.FIELDS}
    form = HealthSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            health_settings.save_settings(request.user, workspace, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Health thresholds saved."))
            return redirect("team:health_settings", workspace.slug)
    context = {"workspace": workspace, "form": form}
    return render(request, "team/health_settings.html", context)


urls = [
    path("p/<slug:slug>/workload/", workload_page, name="workload"),
    path("w/<slug:ws>/settings/health/", health_settings_page, name="health_settings"),
]
