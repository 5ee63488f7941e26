"""A delivery that breaks on something nobody foresaw (a connector's bug, an answer of an unknown
shape, a listener's error) ends at once and visibly: the dispatch fails with the error as its
reason (secrets scrubbed) and the item's SMM is told. It never stays "sending" until its lease
runs out, to be taken again and break again.

The attempt that may have reached the network keeps no outcome, so whatever sends it next (a
person's "retry") reconciles it first: never a twin. Both "publish now" jobs
(`publishing.sending`) and the scheduler's passes (`batch`) end a broken delivery here.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core import crypto
from zveno.notifications.services import notify
from zveno.publishing.delivery.base import AUDIENCE, DELIVERED, S, first_answer
from zveno.publishing.models import Dispatch


def fail_broken(dispatch_id: int, owner: str, exc: Exception) -> str:
    """Fails a dispatch `owner` still holds after an unforeseen error, with its reason for
    people (secrets scrubbed), mirrored on the publication; the SMM hears of it. Answers the
    dispatch's state ("" when it is gone); a dispatch released or taken over before the error
    keeps its state."""
    dispatch = Dispatch.objects.select_related("channel__project").filter(pk=dispatch_id).first()
    if dispatch is None:
        return ""
    reason = _("Zveno could not send it: %(error)s. Retry it: anything that may have gone out is "
               "checked first.") % {"error": describe(exc, dispatch)}  # fmt: skip
    with transaction.atomic():
        done = Dispatch.objects.filter(pk=dispatch_id, state=S.SENDING, lease_owner=owner).update(
            state=S.FAILED, reason=reason, lease_owner="", lease_until=None, next_try_at=None,
            updated_at=timezone.now(),
        )  # fmt: skip
        if not done:  # it was released (or taken over) before the error: its state stands
            dispatch.refresh_from_db(fields=["state"])
            return dispatch.state
        dispatch.state, dispatch.reason = S.FAILED, reason
        DELIVERED(dispatch)
    _tell_failed(dispatch, reason)
    return S.FAILED


def describe(exc: Exception, dispatch: Dispatch) -> str:
    """The error as people read it: its type and text, without the channel's secrets."""
    text = f"{type(exc).__name__}: {exc}"[:300]
    stored = dispatch.channel.credentials
    try:  # an error's text may quote a request, and a request may carry the token
        secrets = crypto.decrypt(stored) if stored else {}
    except crypto.CannotDecrypt:
        secrets = {}
    for value in secrets.values():
        if isinstance(value, str) and len(value) >= 8:
            text = text.replace(value, "…")
    return text


def _tell_failed(dispatch: Dispatch, reason: str) -> None:
    audience = first_answer(AUDIENCE, dispatch)
    if audience is None:
        return
    channel = dispatch.channel
    text = _("Not published to %(channel)s: %(title)s. %(reason)s") % {
        "channel": channel.name, "title": audience.title, "reason": reason,
    }  # fmt: skip
    notify(list(audience.smm), project=channel.project, verb="publication_failed",
           key=f"pub:broken:{dispatch.pk}:{dispatch.attempts.count()}", text=text,
           url=audience.url, data={"dispatch": dispatch.pk, "state": S.FAILED})  # fmt: skip
