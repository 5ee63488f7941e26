"""Analytics pages: goals (placeholder until the page lands)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path

from zveno.workspaces import access
from zveno.workspaces.roles import Capability


@access.member_required
def goals(request, slug):
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    granted = access.access_to(request.user, project)
    ctx = {"project": project, "granted": granted, "tab": "goals"}
    return render(request, "analytics/_placeholder.html", ctx)


urls = [
    path("p/<slug:slug>/analytics/goals/", goals, name="goals"),
]
