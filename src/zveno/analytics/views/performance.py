"""Analytics pages: performance (placeholder until the page lands)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path

from zveno.workspaces import access
from zveno.workspaces.roles import Capability


@access.member_required
def content(request, slug):
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    granted = access.access_to(request.user, project)
    ctx = {"project": project, "granted": granted, "tab": "performance"}
    return render(request, "analytics/_placeholder.html", ctx)


@access.member_required
def channels(request, slug):
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    granted = access.access_to(request.user, project)
    ctx = {"project": project, "granted": granted, "tab": "channels"}
    return render(request, "analytics/_placeholder.html", ctx)


@access.member_required
def team(request, slug):
    project = access.project_for(request.user, slug, Capability.VIEW_ANALYTICS)
    granted = access.access_to(request.user, project)
    ctx = {"project": project, "granted": granted, "tab": "team_expert"}
    return render(request, "analytics/_placeholder.html", ctx)


urls = [
    path("p/<slug:slug>/analytics/content/", content, name="content"),
    path("p/<slug:slug>/analytics/channels/", channels, name="channels"),
    path("p/<slug:slug>/analytics/team/", team, name="team"),
]
