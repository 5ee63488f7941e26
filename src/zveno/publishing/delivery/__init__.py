"""The scheduler: what is due goes out once, and nothing fails silently.

The database is the record. A `Dispatch` per publication holds its state; a worker claims due
dispatches atomically with a lease (PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``; SQLite, one
writer at a time, a conditional ``UPDATE``), writes an `Attempt` *before* the request goes out and
its outcome after. A worker that dies loses its lease; the next one finds the attempt without an
outcome and reconciles before anything is sent again: networks that can be read back (VK, MAX)
are asked whether the post is there; where nothing can be read back (Telegram) the publication
waits as "needs a check" for a person's "it went out" or "send again".

The content app sits above this one, so it takes part through seams filled in its ``ready``:
``DUE`` (the publications that should be delivered), ``CONTENT`` (a publication as a connector
`Post`, or why it may not go), ``DELIVERED`` (a dispatch's state changed: mirror it) and
``AUDIENCE`` (who to tell about a failure, a check or a lost channel).

- `base`: the seams, the rules' constants, the lease, a pass's report;
- `claim`: dispatches kept in step with the plan, the claim, the release;
- `broken`: a delivery that broke on something unforeseen ends failed, visibly;
- `single`: one dispatch taken as far as it can go (reconciliation, the missed rule, outcomes);
- `passes`: a pass over what is due.
"""

from zveno.publishing.delivery.base import (
    ACTIVE,
    AUDIENCE,
    CONTENT,
    DELIVERED,
    DUE,
    GRACE,
    LATE_WINDOW,
    MAX_READ_BACKS,
    MAX_TRANSIENT,
    MAX_WAIT_IN_PLACE,
    READ_BACK_LIMIT,
    RECHECK,
    SETTLE,
    Audience,
    PassReport,
    Refusal,
    Wanted,
    first_answer,
    lease,
    worker_id,
)
from zveno.publishing.delivery.claim import claim, sync
from zveno.publishing.delivery.passes import run_pass, run_until_empty
from zveno.publishing.delivery.single import deliver, deliver_now

__all__ = [
    "ACTIVE", "AUDIENCE", "CONTENT", "DELIVERED", "DUE", "GRACE", "LATE_WINDOW", "MAX_READ_BACKS",
    "MAX_TRANSIENT", "MAX_WAIT_IN_PLACE", "READ_BACK_LIMIT", "RECHECK", "SETTLE", "Audience",
    "PassReport", "Refusal", "Wanted", "claim", "deliver", "deliver_now", "first_answer", "lease",
    "run_pass", "run_until_empty", "sync", "worker_id",
]  # fmt: skip
