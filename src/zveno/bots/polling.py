"""Long polling: reads each configured messenger's updates from where it stopped and handles
them; ``zveno serve`` runs it in its own process (``zveno manage bot``)."""

from __future__ import annotations

import logging

from django.utils import timezone

from zveno.bots import platforms
from zveno.bots.models import PollState
from zveno.bots.services import handle

log = logging.getLogger(__name__)


def poll_once(messenger: str, timeout: int = 25) -> int:
    """One long-polling request; returns how many updates were handled. The offset moves on
    only after each update was handled (a crash re-reads them; ``handle`` skips duplicates)."""
    platform = platforms.platform(messenger)
    if platform is None:
        return 0
    state, _created = PollState.objects.get_or_create(messenger=messenger)
    try:
        updates, offset = platform.updates(state.offset, timeout)
    except Exception as exc:  # the network or the API: wait and ask again
        PollState.objects.filter(pk=state.pk).update(error=str(exc)[:300])
        raise
    for raw in updates:
        try:
            handle(platform, raw)
        except Exception:  # one bad update does not stop the bot
            log.exception("%s: an update could not be handled", messenger)
    PollState.objects.filter(pk=state.pk).update(offset=offset, polled_at=timezone.now(), error="")
    return len(updates)
