"""The writes of webhooks: endpoints (per workspace, managed by its owners and admins), the test
and redelivery buttons, and ``emit`` — how the apps above publish an event."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.core import crypto
from zveno.core.jobs import enqueue
from zveno.webhooks import guard
from zveno.webhooks.models import Delivery, Endpoint
from zveno.workspaces import access
from zveno.workspaces.roles import Capability as C

DELIVER_TASK = "zveno.webhooks.tasks.deliver"
PING = "ping"

# The events an endpoint can hear, in the order the form shows them.
EVENTS: dict[str, object] = {
    "item.status_changed": gettext_lazy("An item changed its status"),
    "approval.decided": gettext_lazy("An approval was decided"),
    "expert_request.answered": gettext_lazy("An expert answered a request"),
    "goal.reached": gettext_lazy("A goal was reached"),
    "publication.published": gettext_lazy("A publication went out"),
    "publication.failed": gettext_lazy("A publication failed"),
}


def _clean(url: str, events: Iterable[str]) -> tuple[str, list[str]]:
    errors = {}
    url = (url or "").strip()
    try:
        guard.check(url)
    except guard.Refused as exc:
        errors["url"] = str(exc)
    chosen = [e for e in EVENTS if e in set(events or [])]
    unknown = set(events or []) - set(EVENTS)
    if unknown:
        errors["events"] = _("Unknown event: %(name)s") % {"name": ", ".join(sorted(unknown))}
    elif not chosen:
        errors["events"] = _("Choose at least one event.")
    if errors:
        raise ValidationError(errors)
    return url, chosen


def _new_secret() -> tuple[str, str]:
    raw = "whsec_" + secrets.token_urlsafe(32)
    return raw, crypto.encrypt({"secret": raw})


def secret_of(endpoint: Endpoint) -> str:
    return crypto.decrypt(endpoint.secret).get("secret", "")


@transaction.atomic
def create_endpoint(
    actor, workspace, *, url: str, events: Iterable[str], description: str = ""
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret (returned once: only its first characters are
    kept in the clear)."""
    access.require_workspace(actor, workspace, C.WORKSPACE_MANAGE)
    url, chosen = _clean(url, events)
    raw, token = _new_secret()
    endpoint = Endpoint.objects.create(
        workspace=workspace, url=url, events=chosen, description=description.strip()[:120],
        secret=token, secret_hint=raw[:10], created_by=actor,
    )  # fmt: skip
    return endpoint, raw


@transaction.atomic
def update_endpoint(
    actor, endpoint: Endpoint, *, url: str, events: Iterable[str], description: str = "",
    active: bool = True,
) -> Endpoint:  # fmt: skip
    access.require_workspace(actor, endpoint.workspace, C.WORKSPACE_MANAGE)
    endpoint.url, endpoint.events = _clean(url, events)
    endpoint.description, endpoint.active = description.strip()[:120], active
    endpoint.save(update_fields=["url", "events", "description", "active"])
    return endpoint


@transaction.atomic
def rotate_secret(actor, endpoint: Endpoint) -> str:
    """A new secret; the old one stops signing at once. Returns the new one (shown once)."""
    access.require_workspace(actor, endpoint.workspace, C.WORKSPACE_MANAGE)
    raw, endpoint.secret = _new_secret()
    endpoint.secret_hint = raw[:10]
    endpoint.save(update_fields=["secret", "secret_hint"])
    return raw


@transaction.atomic
def reencrypt_secrets() -> int:
    """Every endpoint's secret encrypted with the newest key (``rotate_credentials``)."""
    changed = 0
    for endpoint in Endpoint.objects.select_for_update().exclude(secret=""):
        token = crypto.rotate(endpoint.secret)
        if token != endpoint.secret:
            Endpoint.objects.filter(pk=endpoint.pk).update(secret=token)
            changed += 1
    return changed


@transaction.atomic
def delete_endpoint(actor, endpoint: Endpoint) -> None:
    access.require_workspace(actor, endpoint.workspace, C.WORKSPACE_MANAGE)
    endpoint.delete()


def _queue(endpoint: Endpoint, event: str, payload: Mapping, **extra) -> Delivery:
    found = Delivery.objects.create(
        endpoint=endpoint, event=event, payload=dict(payload), not_before=timezone.now(), **extra
    )
    transaction.on_commit(lambda: enqueue(DELIVER_TASK, found.pk))
    return found


@transaction.atomic
def send_test(actor, endpoint: Endpoint) -> Delivery:
    """A ``ping`` event to the endpoint, whatever it subscribed to."""
    access.require_workspace(actor, endpoint.workspace, C.WORKSPACE_MANAGE)
    data = {"message": "Zveno test delivery", "endpoint": endpoint.pk}
    return _queue(endpoint, PING, data)


@transaction.atomic
def redeliver(actor, delivery: Delivery) -> Delivery:
    """The same event (same id, so a receiver can tell) sent again as a new delivery."""
    endpoint = delivery.endpoint
    access.require_workspace(actor, endpoint.workspace, C.WORKSPACE_MANAGE)
    return _queue(
        endpoint, delivery.event, delivery.payload, event_id=delivery.event_id,
        redelivery_of=delivery,
    )  # fmt: skip


@transaction.atomic
def emit(workspace, event: str, payload: Mapping) -> list[Delivery]:
    """Publishes ``event`` to every active endpoint of ``workspace`` that hears it; the sending
    happens after the commit, in the background. Called by the apps' services (no actor: the
    event already happened)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}: declare it in webhooks.services")
    if workspace is None:
        return []
    found = []
    for endpoint in Endpoint.objects.filter(workspace=workspace, active=True):
        if event in endpoint.events:
            found.append(_queue(endpoint, event, payload))
    return found
