"""What people do about a publication's delivery from the item page and the Publishing page:
publish now, retry, "it went out" / "send again", mark as published, cancel.

Each is a POST that needs PUBLISH, calls a publishing service and goes back where it came from
with a message saying how it went. "Publish now", "retry" and "send again" are queued to the
worker (``publishing.sending``), never sent inside the request: the page shows "sending…" and
its publication block polls ``publication_state`` until the state settles.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.content import selectors
from zveno.publishing import delivery
from zveno.publishing import services as publishing
from zveno.publishing.models import DispatchState
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

ACTIONS = ("publish", "retry", "went_out", "send_again", "mark_published", "cancel")


@access.member_required
@require_POST
def act(request, slug: str, item: int, channel_id: int, action: str):
    project = access.project_for(request.user, slug, need=Capability.PUBLISH)
    obj = get_object_or_404(selectors.items(project), pk=item)
    publication = get_object_or_404(obj.publications.select_related("channel"), channel=channel_id)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("content:item", args=(project.slug, obj.pk)) + f"#pub-{channel_id}"
    if action not in ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect(back)
    delivery.sync()
    dispatch = publishing.dispatch_for(publication.pk, publication.channel)
    url = (request.POST.get("url") or "").strip()[:1000]
    try:
        if action == "publish":
            dispatch = publishing.publish_now(request.user, dispatch)
        elif action == "retry":
            dispatch = publishing.retry(request.user, dispatch)
        elif action in ("went_out", "send_again"):
            dispatch = publishing.confirm(request.user, dispatch, action == "went_out", url)
        elif action == "mark_published":
            dispatch = publishing.mark_published(request.user, dispatch, url)
        else:
            dispatch = publishing.cancel_dispatch(request.user, dispatch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    dispatch.refresh_from_db()  # queued: the worker may even have answered already
    if dispatch.in_flight:
        messages.info(request, _("%(channel)s: sending…") % {"channel": publication.channel.name})
        return redirect(back)
    text = _("%(channel)s: %(state)s.") % {
        "channel": publication.channel.name,
        "state": dispatch.get_state_display(),
    }
    if dispatch.reason and dispatch.state not in (DispatchState.PUBLISHED, DispatchState.LATE):
        text += " " + dispatch.reason
    ok = dispatch.state in (DispatchState.PUBLISHED, DispatchState.LATE, DispatchState.CANCELLED)
    (messages.success if ok else messages.warning)(request, text)
    return redirect(back)


@access.member_required
def publication_state(request, slug: str, item: int, channel_id: int):
    """The publication's delivery block again (htmx polls it while it is being sent)."""
    granted = access.grant_for(request.user, slug)
    obj = get_object_or_404(selectors.items(granted.project), pk=item)
    publication = get_object_or_404(obj.publications.select_related("channel"), channel=channel_id)
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    context = {
        "project": granted.project, "granted": granted, "item": obj, "p": publication,
        "next": back, "hide_log": request.GET.get("hide_log") == "1",
    }  # fmt: skip
    return render(request, "content/items/partials/_delivery.html", context)


urls = [
    path(
        "p/<slug:slug>/content/<int:item>/publications/<int:channel_id>/state/",
        publication_state,
        name="publication_state",
    ),
    path(
        "p/<slug:slug>/content/<int:item>/publications/<int:channel_id>/deliver/<str:action>/",
        act,
        name="publication_deliver",
    ),
]
