"""The webhooks API: a workspace's endpoints, their log, test and redelivery."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from zveno.webhooks import selectors, sending, services
from zveno.workspaces import access
from zveno.workspaces.roles import Capability as C

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str
    events: list[str]
    description: str = ""
    active: bool = True


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    secret_hint: str
    created_at: dt.datetime


class EndpointCreated(EndpointOut):
    secret: str  # shown once


class WebhookDeliveryOut(Schema):
    id: int
    event: str
    event_id: str
    status: str
    attempts: int
    response_status: int | None
    error: str
    duration_ms: int | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    redelivery_of: int | None


def _out(endpoint) -> dict:
    return {
        "id": endpoint.pk, "url": endpoint.url, "description": endpoint.description,
        "events": endpoint.events, "active": endpoint.active,
        "secret_hint": endpoint.secret_hint, "created_at": endpoint.created_at,
    }  # fmt: skip


def _delivery_out(d) -> dict:
    return {
        "id": d.pk, "event": d.event, "event_id": str(d.event_id), "status": d.status,
        "attempts": d.attempts, "response_status": d.response_status, "error": d.error,
        "duration_ms": d.duration_ms, "created_at": d.created_at,
        "delivered_at": d.delivered_at, "redelivery_of": d.redelivery_of_id,
    }  # fmt: skip


def _ws(request, ws: str):
    return access.workspace_for(request.user, ws, C.WORKSPACE_MANAGE)


@router.get("/workspaces/{ws}/webhooks", response=list[EndpointOut])
def list_endpoints(request, ws: str):
    return [_out(e) for e in selectors.endpoints(request.user, _ws(request, ws))]


@router.post("/workspaces/{ws}/webhooks", response={201: EndpointCreated})
def create_endpoint(request, ws: str, payload: EndpointIn):
    endpoint, raw = services.create_endpoint(
        request.user, _ws(request, ws), url=payload.url, events=payload.events,
        description=payload.description,
    )  # fmt: skip
    return Status(201, {**_out(endpoint), "secret": raw})


@router.patch("/workspaces/{ws}/webhooks/{endpoint_id}", response=EndpointOut)
def update_endpoint(request, ws: str, endpoint_id: int, payload: EndpointIn):
    found = selectors.endpoint(request.user, _ws(request, ws), endpoint_id)
    return _out(services.update_endpoint(request.user, found, **payload.dict()))


@router.delete("/workspaces/{ws}/webhooks/{endpoint_id}", response={204: None})
def delete_endpoint(request, ws: str, endpoint_id: int):
    found = selectors.endpoint(request.user, _ws(request, ws), endpoint_id)
    services.delete_endpoint(request.user, found)
    return Status(204, None)


@router.get("/workspaces/{ws}/webhooks/{endpoint_id}/deliveries", response=list[WebhookDeliveryOut])
def list_deliveries(request, ws: str, endpoint_id: int):
    found = selectors.endpoint(request.user, _ws(request, ws), endpoint_id)
    return [_delivery_out(d) for d in selectors.log_of(found)]


@router.post("/workspaces/{ws}/webhooks/{endpoint_id}/test", response=WebhookDeliveryOut)
def send_test(request, ws: str, endpoint_id: int):
    """Sends a ``ping`` now and answers with the delivery as it ended."""
    found = selectors.endpoint(request.user, _ws(request, ws), endpoint_id)
    delivery = services.send_test(request.user, found)
    sending.deliver(delivery.pk)
    delivery.refresh_from_db()
    return _delivery_out(delivery)


@router.post(
    "/workspaces/{ws}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response={202: WebhookDeliveryOut},
)
def redeliver(request, ws: str, endpoint_id: int, delivery_id: int):
    found = selectors.delivery(request.user, _ws(request, ws), endpoint_id, delivery_id)
    return Status(202, _delivery_out(services.redeliver(request.user, found)))
