"""The analytics app's REST API: one router over its parts.

``summary`` (period summaries, daily series, the funnel), ``imports`` (metric files), ``goals``
and ``reports``.
"""

from __future__ import annotations

from ninja import Router

from zveno.analytics.api import goals, imports, reports, summary

router = Router()
for part in (summary, imports, goals, reports):
    router.add_router("", part.router)
