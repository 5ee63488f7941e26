""" "Publish now", "retry" and "send again" go out through the worker, never inside a web request.

The service (``services.publish_now``, ``retry``, ``confirm``) makes the dispatch due now and,
after its commit, queues the ``deliver`` job; the worker claims the dispatch exactly as the
scheduler's pass would (``delivery.deliver_now``: a conditional update, so two jobs or a job and a
pass never both send it), and the page or the API client watches its state settle.

A job that breaks on something nobody foresaw (a connector's bug, an answer of an unknown shape)
does not leave the publication "sending" until its lease runs out: it fails at once, visibly,
with the reason, and the item's SMM is told. An attempt that may have reached the network keeps
no outcome, so the next "retry" reconciles it before anything is sent again.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core import crypto
from zveno.notifications.services import notify
from zveno.publishing import delivery
from zveno.publishing.models import Dispatch, DispatchState

log = logging.getLogger(__name__)
S = DispatchState


def deliver_queued(dispatch_id: int) -> str:
    """The worker's side of "publish now": claims the dispatch and delivers it; answers its state
    ("" when another worker has it). Never raises for a broken delivery: it ends as failed."""
    owner = delivery.worker_id()
    try:
        return delivery.deliver_now(dispatch_id, owner)
    except Exception as exc:  # one broken delivery ends visibly, never as a stuck "sending"
        log.exception("sending publication dispatch %s failed", dispatch_id)
        return fail_broken(dispatch_id, owner, exc)


def fail_broken(dispatch_id: int, owner: str, exc: Exception) -> str:
    """Fails a dispatch `owner` still holds after an unforeseen error, with its reason for
    people (secrets scrubbed), mirrored on the publication; the SMM hears of it."""
    dispatch = Dispatch.objects.select_related("channel__project").filter(pk=dispatch_id).first()
    if dispatch is None:
        return ""
    reason = _("Zveno could not send it: %(error)s. Retry it: anything that may have gone out is "
               "checked first.") % {"error": _describe(exc, dispatch)}  # fmt: skip
    with transaction.atomic():
        done = Dispatch.objects.filter(pk=dispatch_id, state=S.SENDING, lease_owner=owner).update(
            state=S.FAILED, reason=reason, lease_owner="", lease_until=None, next_try_at=None,
            updated_at=timezone.now(),
        )  # fmt: skip
        if not done:  # it was released (or taken over) before the error: its state stands
            dispatch.refresh_from_db(fields=["state"])
            return dispatch.state
        dispatch.state, dispatch.reason = S.FAILED, reason
        delivery.DELIVERED(dispatch)
    _tell_failed(dispatch, reason)
    return S.FAILED


def _describe(exc: Exception, dispatch: Dispatch) -> str:
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
    audience = delivery.first_answer(delivery.AUDIENCE, dispatch)
    if audience is None:
        return
    channel = dispatch.channel
    text = _("Not published to %(channel)s: %(title)s. %(reason)s") % {
        "channel": channel.name, "title": audience.title, "reason": reason,
    }  # fmt: skip
    notify(list(audience.smm), project=channel.project, verb="publication_failed",
           key=f"pub:broken:{dispatch.pk}:{dispatch.attempts.count()}", text=text,
           url=audience.url, data={"dispatch": dispatch.pk, "state": S.FAILED})  # fmt: skip
