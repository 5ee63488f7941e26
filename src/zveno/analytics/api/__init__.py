"""The analytics app's REST API: one router over its parts.

``summary`` (period summaries, daily series, the funnel), ``imports`` (metric files), ``goals``
``reports`` and ``collection`` (figures read from the networks).
"""

from __future__ import annotations

from ninja import Router

from zveno.analytics.api import collection, goals, imports, reports, summary

router = Router()
for part in (summary, imports, goals, reports, collection):
    router.add_router("", part.router)
