"""Many approved publications at once, for the scale test and the benchmark: rows written in
bulk (the workflow that approves one item is proven in test_scheduler)."""

from __future__ import annotations

from django.utils import timezone

from zveno.content.models import ContentItem, Publication, State


def approved_in_bulk(project, channel, n: int, at=None, prefix: str = "Пост") -> list[str]:
    """`n` approved items due at `at` (now) on `channel`; returns their texts."""
    at = at or timezone.now()
    texts = [f"{prefix} {i:05d}" for i in range(n)]
    items = ContentItem.objects.bulk_create(
        ContentItem(project=project, title=text, format="post", text=text, planned_at=at,
                    state=State.APPROVED)
        for text in texts
    )  # fmt: skip
    Publication.objects.bulk_create(Publication(item=item, channel=channel) for item in items)
    return texts
