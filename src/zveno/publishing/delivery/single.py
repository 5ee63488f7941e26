"""One claimed dispatch taken as far as it can go now: reconciled before anything is sent again,
held by the project's rule when missed, validated, under the rate limits, the attempt written
before the request and its outcome after."""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core import crypto
from zveno.notifications.services import notify
from zveno.publishing import limits
from zveno.publishing.connections import record_connection, target_for
from zveno.publishing.connectors.base import Outcome, OutcomeKind, Post, connector_for
from zveno.publishing.delivery.base import (
    AUDIENCE,
    CONTENT,
    GRACE,
    LATE_WINDOW,
    MAX_READ_BACKS,
    MAX_TRANSIENT,
    MAX_WAIT_IN_PLACE,
    READ_BACK_LIMIT,
    RECHECK,
    SETTLE,
    Audience,
    PassReport,
    Refusal,
    S,
    first_answer,
    lease,
    worker_id,
)
from zveno.publishing.delivery.claim import _ours, _release
from zveno.publishing.models import (
    Attempt,
    AttemptKind,
    Channel,
    Connection,
    Dispatch,
    HoldReason,
    MissedPolicy,
    PublishingSettings,
)
from zveno.webhooks.models import Endpoint
from zveno.webhooks.services import emit

# --- one delivery -------------------------------------------------------------------------------


def deliver(dispatch: Dispatch, report: PassReport | None = None) -> Dispatch:
    """Takes one claimed dispatch as far as it can go now."""
    report = report or PassReport()
    channel = dispatch.channel
    content = first_answer(CONTENT, dispatch)
    if content is None:
        _finish(dispatch, state=S.CANCELLED, reason=_("The publication no longer exists."))
        return dispatch
    if isinstance(content, Refusal):
        _finish(dispatch, state=content.state, reason=content.reason)
        if content.state == S.FAILED:
            report.failed += 1
            _tell(dispatch, "failed", content.reason)
        return dispatch
    post: Post = content
    connector = connector_for(channel.network)
    channel.refresh_from_db(fields=["connection", "credentials", "connection_result", "handle"])
    if connector is None:
        _finish(dispatch, state=S.PLANNED, reason=_("Zveno does not publish to this network."))
        return dispatch
    if not channel.credentials or channel.connection == Connection.NEEDS_RECONNECT:
        reason = _("The channel is not connected.") if not channel.credentials else (
            channel.connection_result.get("reason", "") or _("The channel needs reconnecting.")
        )  # fmt: skip
        _hold_channel(channel, dispatch, reason)
        report.held += 1
        return dispatch
    try:
        # A request never outlives the lease renewed just before it: otherwise another worker
        # could take over, find nothing on the network yet, and send a second copy.
        target = target_for(channel, timeout=min(30.0, lease().total_seconds() / 3))
    except crypto.CannotDecrypt:
        _lose_channel(channel, dispatch, Outcome(OutcomeKind.AUTH_LOST, reason=_(
            "The stored token cannot be read with the current keys: connect again.")))  # fmt: skip
        report.held += 1
        return dispatch

    again = False
    # 1. Never blindly again. The last attempt went out (its worker died before saying so):
    # it is published. An attempt without a known outcome is reconciled first.
    last = (
        dispatch.attempts.filter(kind__in=(AttemptKind.PUBLISH, AttemptKind.RECONCILE))
        .order_by("-started_at", "-pk").first()
    )  # fmt: skip
    if last is not None and last.outcome == OutcomeKind.PUBLISHED:
        dispatch.refresh_from_db(fields=["external_id", "url", "due_at"])
        done = Outcome(OutcomeKind.PUBLISHED, external_id=dispatch.external_id, url=dispatch.url)
        late = dispatch.due_at is not None and last.started_at - dispatch.due_at > GRACE
        _published(dispatch, done, report, late=late)
        return dispatch
    pending = _unresolved(dispatch)
    if pending is not None and timezone.now() < pending.started_at + SETTLE:
        # A request that left may still be on its way into the network: reading back too soon
        # would find nothing and send a twin. Ask again once it has surely landed or died.
        _finish(dispatch, state=S.SCHEDULED, next_try_at=pending.started_at + SETTLE)
        report.retried += 1
        return dispatch
    if pending is not None:
        if not connector.can_read_back:
            _finish(dispatch, state=S.NEEDS_CHECK, reason=_(
                "The network did not answer whether the post went out, and it cannot be read "
                "back: check the channel and say whether it went out."))  # fmt: skip
            report.checks += 1
            _tell(dispatch, "needs_check", dispatch.reason)
            return dispatch
        since = pending.started_at
        outcome = _attempt(
            dispatch, AttemptKind.RECONCILE, connector.find, target, post, since,
            request={"method": "find", "guid": post.guid, "since": since.isoformat()},
        )  # fmt: skip
        if outcome is None:
            return dispatch  # the lease was lost: another worker has it
        if outcome.kind is OutcomeKind.PUBLISHED:
            _published(dispatch, outcome, report)
            return dispatch
        if outcome.kind is OutcomeKind.AUTH_LOST:
            _lose_channel(channel, dispatch, outcome)
            report.held += 1
            return dispatch
        if outcome.kind is not OutcomeKind.NOT_FOUND:
            # It could not tell (too many posts since to read that far, the network did not
            # answer): asked again a few times, then a person decides; never stuck, never twice.
            if _read_back_enough(dispatch, pending):
                _finish(dispatch, state=S.NEEDS_CHECK, reason=_(
                    "Zveno could not find out whether the post went out (the channel could not "
                    "be read back far enough): check the channel and say whether it went out."
                ))  # fmt: skip
                report.checks += 1
                _tell(dispatch, "needs_check", dispatch.reason)
                return dispatch
            wait = RECHECK
            if outcome.kind is OutcomeKind.RATE_LIMITED and outcome.retry_after:
                wait = max(wait, dt.timedelta(seconds=outcome.retry_after))
            reason = outcome.reason or _("The network could not be checked yet.")
            _finish(dispatch, state=S.SCHEDULED, next_try_at=timezone.now() + wait, reason=reason)
            report.retried += 1
            return dispatch
        again = True  # the channel was read back since the attempt and the post is not there

    # 2. Missed while nothing ran: the project's choice.
    now = timezone.now()
    late = dispatch.due_at is not None and now - dispatch.due_at > GRACE
    if (
        late and not dispatch.send_late
        and not dispatch.attempts.filter(kind=AttemptKind.PUBLISH).exists()
        and _holds_missed(channel, now - dispatch.due_at)
    ):  # fmt: skip
        reason = _("Its time passed while nothing was running: publish it late or cancel it.")
        _finish(dispatch, state=S.HELD, hold_reason=HoldReason.MISSED, reason=reason)
        report.held += 1
        _tell(dispatch, "missed", reason)
        return dispatch

    # 3. The network's own rules, again just before sending.
    problems = connector.validate(post)
    if problems:
        reason = " ".join(p.message for p in problems)
        _finish(dispatch, state=S.FAILED, reason=reason)
        report.failed += 1
        _tell(dispatch, "failed", reason)
        return dispatch

    # 4. A slot of every rate limit it falls under.
    keys = limits.keys_for(channel, target.credentials)
    wait = limits.take(keys)
    while 0 < wait <= MAX_WAIT_IN_PLACE:
        time.sleep(wait)
        wait = limits.take(keys)
    if wait > 0:
        _finish(dispatch, state=S.SCHEDULED,
                next_try_at=timezone.now() + dt.timedelta(seconds=wait))  # fmt: skip
        report.waits += 1
        return dispatch

    # 5. Send: the attempt is on record before the request leaves.
    summary = {
        "method": "publish", "network": channel.network, "handle": channel.handle,
        "text_chars": len(post.text or ""), "media": len(post.media), "guid": post.guid,
        "is_ad": post.is_ad,
    }  # fmt: skip
    if again:
        summary["again"] = "not found on reading back"  # the log says why it went out again
    outcome = _attempt(dispatch, AttemptKind.PUBLISH, connector.publish, target, post,
                       request=summary)  # fmt: skip
    if outcome is None:
        return dispatch
    _act_on(dispatch, outcome, report, late=late, keys=list(keys))
    return dispatch


def _act_on(dispatch, outcome: Outcome, report: PassReport, *, late: bool, keys: list) -> None:
    kind = outcome.kind
    if kind is OutcomeKind.PUBLISHED:
        _published(dispatch, outcome, report, late=late)
    elif kind is OutcomeKind.RATE_LIMITED:
        seconds = outcome.retry_after or 1.0
        limits.block(keys, seconds)
        _finish(dispatch, state=S.SCHEDULED, reason=outcome.reason,
                next_try_at=timezone.now() + dt.timedelta(seconds=seconds))  # fmt: skip
        report.waits += 1
    elif kind is OutcomeKind.AUTH_LOST:
        _lose_channel(dispatch.channel, dispatch, outcome)
        report.held += 1
    elif kind is OutcomeKind.REJECTED:
        _finish(dispatch, state=S.FAILED, reason=outcome.reason or outcome.detail)
        report.failed += 1
        _tell(dispatch, "failed", dispatch.reason)
    elif kind is OutcomeKind.UNKNOWN:
        if connector_for(dispatch.channel.network).can_read_back:
            _finish(
                dispatch, state=S.SCHEDULED, next_try_at=timezone.now() + SETTLE,
                reason=_("No answer came; the network is checked before anything is sent again."),
            )  # fmt: skip
            report.retried += 1
        else:
            _finish(dispatch, state=S.NEEDS_CHECK, reason=_(
                "The network did not answer whether the post went out, and it cannot be read "
                "back: check the channel and say whether it went out."))  # fmt: skip
            report.checks += 1
            _tell(dispatch, "needs_check", dispatch.reason)
    else:  # TRANSIENT (and NOT_FOUND, which publish never answers)
        tries = dispatch.tries + 1
        if tries >= MAX_TRANSIENT:
            reason = outcome.reason or _("The network kept failing: %(detail)s") % {
                "detail": outcome.detail
            }
            _finish(dispatch, state=S.FAILED, tries=tries, reason=reason)
            report.failed += 1
            _tell(dispatch, "failed", reason)
        else:
            backoff = dt.timedelta(seconds=min(600, 15 * 2 ** (tries - 1)))
            _finish(dispatch, state=S.SCHEDULED, tries=tries, next_try_at=timezone.now() + backoff,
                    reason=outcome.reason or outcome.detail)  # fmt: skip
            report.retried += 1


def _attempt(dispatch: Dispatch, kind: str, call, *args, request: dict) -> Outcome | None:
    """Writes the attempt (renewing our lease in the same transaction), makes the call, writes
    its outcome. None when the lease is no longer ours: then nothing was sent."""
    started = timezone.now()
    with transaction.atomic():
        if not _ours(dispatch).update(lease_until=started + lease()):
            return None
        attempt = Attempt.objects.create(
            dispatch=dispatch, kind=kind, worker=dispatch.lease_owner, started_at=started,
            request=request,
        )  # fmt: skip
    clock = time.monotonic()
    outcome = call(*args)
    took = int((time.monotonic() - clock) * 1000)
    response = " · ".join(x for x in (outcome.detail, outcome.external_id, outcome.url) if x)
    with transaction.atomic():  # the answer and the post's address are kept together
        Attempt.objects.filter(pk=attempt.pk).update(
            finished_at=timezone.now(), duration_ms=took, outcome=str(outcome.kind),
            response=response[:2000], reason=str(outcome.reason or "")[:2000],
        )  # fmt: skip
        if outcome.kind is OutcomeKind.PUBLISHED:
            Dispatch.objects.filter(pk=dispatch.pk).update(
                external_id=outcome.external_id, url=outcome.url
            )
    return outcome


def _unresolved(dispatch: Dispatch) -> Attempt | None:
    """The last publish attempt, when nobody knows whether it went out (and no reconciliation
    or person has said since)."""
    last = (
        dispatch.attempts.filter(kind__in=(AttemptKind.PUBLISH, AttemptKind.RECONCILE,
                                           AttemptKind.CONFIRM))
        .order_by("-started_at", "-pk").first()
    )  # fmt: skip
    if last is None:
        return None
    if last.kind == AttemptKind.PUBLISH and last.outcome in ("", OutcomeKind.UNKNOWN):
        return last
    if last.kind == AttemptKind.RECONCILE and last.outcome not in (
        OutcomeKind.NOT_FOUND,
        OutcomeKind.PUBLISHED,
    ):
        publish = dispatch.attempts.filter(kind=AttemptKind.PUBLISH).order_by("-started_at").first()
        return publish
    return None


def _read_back_enough(dispatch: Dispatch, pending: Attempt) -> bool:
    """Read back since `pending` without an answer either way as many times as the rules allow,
    or for as long: then a person decides."""
    tries = dispatch.attempts.filter(
        kind=AttemptKind.RECONCILE, started_at__gte=pending.started_at
    ).exclude(outcome__in=(OutcomeKind.PUBLISHED, OutcomeKind.NOT_FOUND))
    if timezone.now() - pending.started_at >= READ_BACK_LIMIT:
        return True
    return tries.count() >= MAX_READ_BACKS


def _holds_missed(channel: Channel, lateness: dt.timedelta) -> bool:
    policy = (
        PublishingSettings.objects.filter(project_id=channel.project_id)
        .values_list("missed", flat=True).first() or MissedPolicy.AUTO
    )  # fmt: skip
    return holds_missed(policy, lateness)


def holds_missed(policy: str, lateness: dt.timedelta) -> bool:
    """The project's rule for a publication this late that was never sent: hold and ask?"""
    if policy == MissedPolicy.LATE:
        return False
    if policy == MissedPolicy.HOLD:
        return True
    return lateness >= LATE_WINDOW


def _finish(dispatch: Dispatch, **fields) -> None:
    if fields.get("state") != S.HELD:
        fields.setdefault("hold_reason", "")
    _release(dispatch, **fields)


def _published(dispatch: Dispatch, outcome: Outcome, report: PassReport, late=False) -> None:
    _finish(
        dispatch, state=S.LATE if late else S.PUBLISHED, external_id=outcome.external_id,
        url=outcome.url, published_at=timezone.now(), reason="", tries=0, next_try_at=None,
    )  # fmt: skip
    report.published += 1
    _emit(dispatch, "publication.published", url=outcome.url, external_id=outcome.external_id,
          late=late)  # fmt: skip


def _emit(dispatch: Dispatch, event: str, **data) -> None:
    """The workspace's webhooks hear what became of a publication."""
    channel = dispatch.channel
    project = channel.project
    listening = Endpoint.objects.filter(workspace_id=project.workspace_id, active=True)
    if not any(event in events for events in listening.values_list("events", flat=True)):
        return  # nobody hears it: no payload to build (it costs the item's audience)
    audience: Audience | None = first_answer(AUDIENCE, dispatch)
    emit(project.workspace, event, {
        "project": {"slug": project.slug, "name": project.name},
        "channel": {"id": channel.pk, "name": channel.name, "network": channel.network},
        "publication": {"dispatch": dispatch.pk, "ref": dispatch.ref,
                        "title": audience.title if audience else "", **data},
    })  # fmt: skip


def _hold_channel(channel: Channel, dispatch: Dispatch, reason: str) -> None:
    _finish(dispatch, state=S.HELD, hold_reason=HoldReason.RECONNECT, reason=reason)


def _lose_channel(channel: Channel, dispatch: Dispatch, outcome: Outcome) -> None:
    """The channel's authorisation is gone: it needs reconnecting, everything due on it is held
    (not failed one by one), and the SMM and the project lead are told once."""
    reason = outcome.reason or _("The network no longer accepts the channel's token.")
    flipped = (
        Channel.objects.filter(pk=channel.pk)
        .exclude(connection=Connection.NEEDS_RECONNECT)
        .update(connection=Connection.NEEDS_RECONNECT)
    )
    record_connection(channel, outcome)
    _hold_channel(channel, dispatch, reason)
    Dispatch.objects.filter(channel=channel, state=S.SCHEDULED).update(
        state=S.HELD, hold_reason=HoldReason.RECONNECT, reason=reason
    )
    if flipped:
        _tell(dispatch, "reconnect", reason, leads=True)


# What happened -> the event declared in notifications.events (its channels: inbox, e-mail, …).
VERBS = {
    "failed": "publication_failed",
    "needs_check": "publication_needs_check",
    "missed": "publication_needs_check",
    "reconnect": "channel_reconnect",
}


def _tell(dispatch: Dispatch, verb: str, reason: str, leads: bool = False) -> None:
    """The item's SMM (and for a lost channel the project lead) hear at once: inbox and e-mail."""
    if verb == "failed":  # and the workspace's webhooks
        _emit(dispatch, "publication.failed", reason=reason)
    audience: Audience | None = first_answer(AUDIENCE, dispatch)
    if audience is None:
        return
    people = list(audience.smm) + (list(audience.leads) if leads else [])
    channel = dispatch.channel
    texts = {
        "failed": _("Not published to %(channel)s: %(title)s. %(reason)s"),
        "needs_check": _("Check whether it went out on %(channel)s: %(title)s."),
        "missed": _("Missed its time on %(channel)s: %(title)s. Publish it late or cancel it."),
        "reconnect": _("%(channel)s needs reconnecting; its publications are held. %(reason)s"),
    }
    text = texts[verb] % {"channel": channel.name, "title": audience.title, "reason": reason}
    key = f"pub:{verb}:{channel.pk if verb == 'reconnect' else dispatch.pk}:" + (
        f"{timezone.now():%Y%m%d%H%M}" if verb == "reconnect" else f"{dispatch.attempts.count()}"
    )
    notify(people, project=channel.project, verb=VERBS[verb], key=key, text=text,
           url=audience.url, data={"dispatch": dispatch.pk, "state": dispatch.state})  # fmt: skip


def deliver_now(dispatch_id: int, owner: str | None = None) -> str:
    """Claims one scheduled dispatch whatever its time (a person said "now") and delivers it;
    answers its state afterwards ("" when another worker has it)."""
    owner = owner or worker_id()
    now = timezone.now()
    free = Q(state=S.SCHEDULED) | Q(state=S.SENDING, lease_until__lt=now)
    taken = Dispatch.objects.filter(free, pk=dispatch_id).update(
        state=S.SENDING, lease_owner=owner, lease_until=now + lease()
    )
    if not taken:
        return ""
    dispatch = Dispatch.objects.select_related("channel__project").get(pk=dispatch_id)
    deliver(dispatch)
    return dispatch.state
