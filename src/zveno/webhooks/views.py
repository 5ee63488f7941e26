"""The workspace's webhooks: endpoints, their secrets, the delivery log, test and redelivery."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zveno.core.forms import apply_errors
from zveno.webhooks import selectors, sending, services
from zveno.webhooks.forms import EndpointForm
from zveno.workspaces import access
from zveno.workspaces.roles import Capability as C


def _workspace(request, ws: str):
    return access.workspace_for(request.user, ws, C.WORKSPACE_MANAGE)


@access.member_required
def endpoints(request, ws: str):
    workspace = _workspace(request, ws)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, raw = services.create_endpoint(
                request.user, workspace, url=data["url"], events=data["events"],
                description=data["description"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session["webhook_secret"] = [endpoint.pk, raw]
            return redirect("webhooks:endpoint", ws, endpoint.pk)
    ctx = {
        "workspace": workspace,
        "endpoints": selectors.endpoints(request.user, workspace),
        "form": form,
    }
    return render(request, "webhooks/endpoints.html", ctx)


@access.member_required
def endpoint(request, ws: str, endpoint_id: int):
    workspace = _workspace(request, ws)
    found = selectors.endpoint(request.user, workspace, endpoint_id)
    initial = {
        "url": found.url, "events": found.events, "description": found.description,
        "active": found.active,
    }  # fmt: skip
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_endpoint(request.user, found, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhooks:endpoint", ws, found.pk)
    shown = request.session.pop("webhook_secret", None)
    ctx = {
        "workspace": workspace,
        "endpoint": found,
        "form": form,
        "log": selectors.log_of(found),
        "secret": shown[1] if shown and shown[0] == found.pk else None,
    }
    return render(request, "webhooks/endpoint.html", ctx)


@access.member_required
@require_POST
def test(request, ws: str, endpoint_id: int):
    """Sends a ping now and shows how the receiver answered."""
    found = selectors.endpoint(request.user, _workspace(request, ws), endpoint_id)
    delivery = services.send_test(request.user, found)
    outcome = sending.deliver(delivery.pk)
    if outcome == "delivered":
        messages.success(request, _("The test was delivered."))
    else:
        messages.error(request, _("The test was not delivered: see the log below."))
    return redirect("webhooks:endpoint", ws, found.pk)


@access.member_required
@require_POST
def rotate(request, ws: str, endpoint_id: int):
    found = selectors.endpoint(request.user, _workspace(request, ws), endpoint_id)
    request.session["webhook_secret"] = [found.pk, services.rotate_secret(request.user, found)]
    return redirect("webhooks:endpoint", ws, found.pk)


@access.member_required
@require_POST
def delete(request, ws: str, endpoint_id: int):
    found = selectors.endpoint(request.user, _workspace(request, ws), endpoint_id)
    services.delete_endpoint(request.user, found)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks:endpoints", ws)


@access.member_required
@require_POST
def redeliver(request, ws: str, endpoint_id: int, delivery_id: int):
    workspace = _workspace(request, ws)
    found = selectors.delivery(request.user, workspace, endpoint_id, delivery_id)
    services.redeliver(request.user, found)
    messages.success(request, _("Queued for redelivery."))
    return redirect("webhooks:endpoint", ws, endpoint_id)


urls = [
    path("w/<slug:ws>/webhooks/", endpoints, name="endpoints"),
    path("w/<slug:ws>/webhooks/<int:endpoint_id>/", endpoint, name="endpoint"),
    path("w/<slug:ws>/webhooks/<int:endpoint_id>/test/", test, name="test"),
    path("w/<slug:ws>/webhooks/<int:endpoint_id>/rotate/", rotate, name="rotate"),
    path("w/<slug:ws>/webhooks/<int:endpoint_id>/delete/", delete, name="delete"),
    path(
        "w/<slug:ws>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        redeliver,
        name="redeliver",
    ),
]
