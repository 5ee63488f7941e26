"""Queueing a background job by its task's name.

A service queues the job that continues its work (an e-mail, a large import) and the app's
``tasks`` module, a thin wrapper, calls back into the service: naming the task instead of importing
it keeps the two files out of an import loop. Every ``tasks`` module is registered at start-up
(``CoreConfig.ready``), so the name always finds the task and eager mode still runs it in place.
"""

from __future__ import annotations

from celery import current_app


def enqueue(task: str, *args) -> None:
    """Queues ``task`` (full name: ``zveno.<app>.tasks.<function>``) with ``args``."""
    current_app.tasks[task].delay(*args)
