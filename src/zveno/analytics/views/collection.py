"""Collecting figures from the networks: the "collect now" button of the channel pages."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.analytics import collection
from zveno.workspaces import access
from zveno.workspaces.roles import Capability


@require_POST
@access.member_required
def collect_now(request, slug):
    project = access.project_for(request.user, slug, Capability.MANAGE_ANALYTICS)
    collection.request_now(project)
    messages.success(request, _("Collecting now: the figures appear in a minute."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    return redirect(back or "analytics:channels", *([] if back else [project.slug]))


urls = [
    path("p/<slug:slug>/analytics/collect/", collect_now, name="collect_now"),
]
