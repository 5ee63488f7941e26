"""The team app's REST API: one router over its parts.

``work`` (the matrix, stages and tasks) and ``health`` (the health findings and the workload).
"""

from __future__ import annotations

from ninja import Router

from zveno.team.api import health, work

router = Router()
for part in (work, health):
    router.add_router("", part.router)
