""" "Publish now", "retry" and "send again" go out through the worker, never inside a web request.

The service (``services.publish_now``, ``retry``, ``confirm``) makes the dispatch due now and,
after its commit, queues the ``deliver`` job; the worker claims the dispatch exactly as the
scheduler's pass would (``delivery.deliver_now``: a conditional update, so two jobs or a job and a
pass never both send it), and the page or the API client watches its state settle.

A job that breaks on something nobody foresaw (a connector's bug, an answer of an unknown shape)
does not leave the publication "sending" until its lease runs out: it fails at once, visibly
(`delivery.broken`, as a scheduler's pass does), and the next "retry" reconciles first.
"""

from __future__ import annotations

import logging

from zveno.publishing import delivery
from zveno.publishing.delivery.broken import fail_broken

log = logging.getLogger(__name__)


def deliver_queued(dispatch_id: int) -> str:
    """The worker's side of "publish now": claims the dispatch and delivers it; answers its state
    ("" when another worker has it). Never raises for a broken delivery: it ends as failed."""
    owner = delivery.worker_id()
    try:
        return delivery.deliver_now(dispatch_id, owner)
    except Exception as exc:  # one broken delivery ends visibly, never as a stuck "sending"
        log.exception("sending publication dispatch %s failed", dispatch_id)
        return fail_broken(dispatch_id, owner, exc)
