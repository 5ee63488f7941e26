"""The one way to notify members."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from zveno.notifications.models import Notification


@transaction.atomic
def notify(
    users: Iterable, *, project, verb: str, key: str, text: str, url: str = ""
) -> list[Notification]:
    """Create one notification per user for (key, verb); a repeat for the same subject is a
    no-op, so evaluating a goal twice never notifies twice. Returns the new notifications."""
    created = []
    for user in {u.pk: u for u in users}.values():
        note, new = Notification.objects.get_or_create(
            user=user,
            key=key,
            verb=verb,
            defaults={"project": project, "text": text[:300], "url": url},
        )
        if new:
            created.append(note)
    return created


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ids) read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
