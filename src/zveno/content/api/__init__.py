"""The content app's REST API: one router over its parts.

``items`` (items, publications, workflow, approvals), ``requests`` (expert requests and answers),
``sheets`` (the plan as a file), ``feeds`` (iCalendar feed URLs) and ``comments``.
"""

from __future__ import annotations

from ninja import Router

from zveno.content.api import comments, feeds, items, requests, sheets

router = Router()
for part in (items, requests, sheets, feeds, comments):
    router.add_router("", part.router)
