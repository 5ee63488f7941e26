"""``{% load notifications %}{% unread_count user as n %}``: the top bar's inbox badge."""

from __future__ import annotations

from django import template

from zveno.notifications.models import Notification

register = template.Library()


@register.simple_tag
def unread_count(user) -> int:
    """How many of the user's notifications are unread (one query; 0 when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
