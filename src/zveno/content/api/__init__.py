"""The content app's REST API: one router over its parts.

``items`` (items, publications, workflow, approvals), ``requests`` (expert requests and answers),
``sheets`` (the plan as a file), ``feeds`` (iCalendar feed URLs), ``comments``, ``delivery``
(publish now, retry, confirm a check, the delivery log) and ``media`` (an item's files).
"""

from __future__ import annotations

from ninja import Router

from zveno.content.api import comments, delivery, feeds, items, media, requests, sheets

router = Router()
for part in (items, requests, sheets, feeds, comments, delivery, media):
    router.add_router("", part.router)
