"""Reads of webhooks, always through the workspace's access check."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from zveno.webhooks.models import Delivery, Endpoint
from zveno.workspaces import access
from zveno.workspaces.roles import Capability as C


def endpoints(user, workspace) -> QuerySet[Endpoint]:
    access.require_workspace(user, workspace, C.WORKSPACE_MANAGE)
    return workspace.webhooks.all()


def endpoint(user, workspace, pk: int) -> Endpoint:
    access.require_workspace(user, workspace, C.WORKSPACE_MANAGE)
    return get_object_or_404(Endpoint, workspace=workspace, pk=pk)


def log_of(endpoint: Endpoint, limit: int = 50) -> list[Delivery]:
    return list(endpoint.deliveries.all()[:limit])


def delivery(user, workspace, endpoint_pk: int, pk: int) -> Delivery:
    found = endpoint(user, workspace, endpoint_pk)
    return get_object_or_404(Delivery, endpoint=found, pk=pk)
