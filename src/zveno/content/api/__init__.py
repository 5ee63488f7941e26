"""The content app's REST API: one router over its parts.

``items`` (items, publications, workflow, approvals), ``requests`` (expert requests and answers),
``sheets`` (the plan as a file), ``feeds`` (iCalendar feed URLs), ``comments`` and ``delivery``
(publish now, retry, confirm a check, the delivery log).
"""

from __future__ import annotations

from ninja import Router

from zveno.content.api import comments, delivery, feeds, items, requests, sheets

router = Router()
for part in (items, requests, sheets, feeds, comments, delivery):
    router.add_router("", part.router)
