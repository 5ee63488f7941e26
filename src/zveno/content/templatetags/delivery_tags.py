"""`{% delivery_of p as d %}`: a publication's dispatch (state, link, reason, attempts) or None."""

from __future__ import annotations

from django import template

from zveno.content import selectors
from zveno.publishing.connectors.base import connector_for

register = template.Library()


@register.simple_tag
def delivery_of(publication):
    return selectors.deliveries([publication.pk]).get(publication.pk)


@register.filter
def publishable(channel) -> bool:
    """Zveno can send to this channel itself (a connector, and credentials stored)."""
    return connector_for(channel.network) is not None and bool(channel.credentials)
