"""A pass of the scheduler: keep dispatches in step with the plan, claim what is due, deliver it."""

from __future__ import annotations

import time

from django.conf import settings

from zveno.publishing.delivery.base import PassReport, worker_id
from zveno.publishing.delivery.batch import deliver_many
from zveno.publishing.delivery.claim import claim, sync

# --- one pass -----------------------------------------------------------------------------------


def run_pass(
    owner: str | None = None, limit: int | None = None, do_sync: bool = True
) -> PassReport:
    """One pass: keep dispatches in step with the plan, claim what is due, deliver it."""
    owner = owner or worker_id()
    if do_sync:
        sync()
    report = PassReport()
    batch = claim(owner, limit or getattr(settings, "PUBLISHING_BATCH", 20))
    report.claimed = len(batch)
    # One bad publication never stops the others (nor the worker): it fails visibly with the
    # error as its reason, the SMM is told, and a retry reconciles whatever may have gone out.
    deliver_many(batch, report)
    return report


def run_until_empty(owner: str | None = None, max_seconds: float = 50.0) -> PassReport:
    """Passes until nothing is due (or time is up): the job the worker's beat queues."""
    owner = owner or worker_id()
    total = PassReport()
    deadline = time.monotonic() + max_seconds
    first = True
    while time.monotonic() < deadline:
        report = run_pass(owner, do_sync=first)
        first = False
        total.add(report)
        if not report.claimed:
            break
    return total
