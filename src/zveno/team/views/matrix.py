"""The responsibility matrix: areas × people, a click cycles the letter (htmx)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_POST

from zveno.team import selectors, services
from zveno.workspaces import access
from zveno.workspaces.roles import Capability


@access.member_required
def matrix(request, slug: str):
    granted = access.grant_for(request.user, slug)
    project = granted.project
    context = {
        "project": project,
        "granted": granted,
        "grid": selectors.matrix(project),
        "can_edit": granted.can(Capability.MANAGE_TEAM),
        "agreement": project.agreements.order_by("-version").first(),
        "tab": "matrix",
    }
    return render(request, "team/matrix.html", context)


@access.member_required
@require_POST
def cycle(request, slug: str, area: str, member: int):
    """One click on a cell: the next letter; answers the refreshed row."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_TEAM)
    area_obj = get_object_or_404(project.areas, code=area)
    membership = get_object_or_404(project.memberships, pk=member)
    services.cycle_cell(request.user, area_obj, membership)
    grid = selectors.matrix(project)
    row = next(r for r in grid.rows if r.area.pk == area_obj.pk)
    context = {"project": project, "row": row, "can_edit": True}
    response = render(request, "team/partials/_matrix_row.html", context)
    response["HX-Trigger"] = "matrix-changed"
    return response


urls = [
    path("p/<slug:slug>/matrix/", matrix, name="matrix"),
    path("p/<slug:slug>/matrix/<slug:area>/<int:member>/", cycle, name="matrix_cycle"),
]
