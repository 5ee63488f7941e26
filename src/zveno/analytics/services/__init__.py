"""Analytics writes, one module per subject: ``metrics`` (posts, snapshots, channel and business
days), ``goals`` (goals by hand and from the playbook) and ``reports`` (schedules, client links,
the scheduled e-mails). The metric writes are also importable from here."""

from __future__ import annotations

from zveno.analytics.services.metrics import (
    create_post,
    record_snapshot,
    upsert_business_day,
    upsert_channel_day,
)

__all__ = ["create_post", "record_snapshot", "upsert_business_day", "upsert_channel_day"]
