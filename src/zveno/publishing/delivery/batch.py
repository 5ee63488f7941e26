"""A claimed batch delivered together: the common case, a first send with nothing in its way,
costs a few statements per batch instead of a dozen per publication, and its requests go out
side by side.

A dispatch with any history (an attempt, a reconciliation, a person's answer), or anything that
stops it (no content, a refusal, the channel not connected, the project's missed rule, the
network's own rules, a rate-limit slot not free now), is left to `single.deliver`, which decides
exactly as it always has. What the batch does itself is steps 4–5 of that path for many at once:

1. a wave (at most ``PUBLISHING_CONCURRENCY``) takes its rate-limit slots, renews its leases and
   writes its attempts in one transaction — every attempt is on record before any request leaves;
2. the wave's requests go out together on threads (connectors never touch the database), each with
   a timeout of at most a third of the lease renewed just before, so none outlives it;
3. the outcomes, and the external ids of what went out, are written in one transaction; in the
   same transaction (a savepoint) the published dispatches still ours are released and mirrored
   (``DELIVERED``). Any other outcome is acted on one by one, as `single` does.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone, translation

from zveno.core import crypto, updates
from zveno.publishing import limits
from zveno.publishing.connections import target_for
from zveno.publishing.connectors.base import (
    Connector,
    Outcome,
    OutcomeKind,
    Post,
    Target,
    connector_for,
)
from zveno.publishing.delivery.base import (
    CONTENT,
    DELIVERED,
    GRACE,
    PassReport,
    S,
    answers_many,
    each_or_many,
    lease,
)
from zveno.publishing.delivery.broken import fail_broken
from zveno.publishing.delivery.single import _act_on, _emit, _published, deliver, holds_missed
from zveno.publishing.models import (
    Attempt,
    AttemptKind,
    Channel,
    Connection,
    Dispatch,
    MissedPolicy,
    PublishingSettings,
)
from zveno.webhooks.models import Endpoint

log = logging.getLogger("zveno.publishing.delivery")
HISTORY = (AttemptKind.PUBLISH, AttemptKind.RECONCILE, AttemptKind.CONFIRM)


def concurrency() -> int:
    return max(1, int(getattr(settings, "PUBLISHING_CONCURRENCY", 10)))


@dataclass
class Ready:
    """A first send with nothing in its way, and what its request came to."""

    dispatch: Dispatch
    post: Post
    connector: Connector
    target: Target
    keys: dict
    late: bool
    owner: str = ""  # the lease's holder (a release clears it on the dispatch)
    attempt: Attempt | None = None
    outcome: Outcome | None = None
    took: int = 0
    finished: object = None
    words: dict = field(default_factory=dict)


def deliver_many(batch: list[Dispatch], report: PassReport) -> None:
    """Takes a claimed batch as far as it can go now; one bad publication never stops the rest."""
    if not batch:
        return
    seen = set(
        Attempt.objects.filter(dispatch_id__in=[d.pk for d in batch], kind__in=HISTORY)
        .values_list("dispatch_id", flat=True)
    )  # fmt: skip
    one_by_one = [d for d in batch if d.pk in seen]
    try:
        ready, rest = _prepare([d for d in batch if d.pk not in seen])
    except Exception:
        log.exception("preparing a batch of %s failed: one by one", len(batch))
        ready, rest = [], [d for d in batch if d.pk not in seen]
    one_by_one += rest
    size = concurrency()
    pool = _pool(size)
    for start in range(0, len(ready), size):
        wave = ready[start : start + size]
        try:
            one_by_one += _wave(wave, report, pool)
        except Exception as exc:  # what it did not settle fails visibly (reconciled on retry)
            log.exception("a wave of %s dispatches failed", len(wave))
            for r in wave:
                _broken(r.dispatch, r.owner, exc, report)
    for dispatch in one_by_one:
        _safely(dispatch, report, lambda d=dispatch: deliver(d, report))


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(size: int) -> ThreadPoolExecutor:
    """The process's sending threads, kept from pass to pass (and so their open connections)."""
    if size not in _pools:
        _pools[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="publish")
    return _pools[size]


def _safely(dispatch: Dispatch, report: PassReport, call, owner: str | None = None) -> None:
    """Runs one dispatch's step; an unforeseen error fails that dispatch visibly (never a stuck
    "sending" retried at each lease's end) and the pass goes on with the others."""
    owner = owner or dispatch.lease_owner  # before the call: a release clears it on the object
    try:
        call()
    except Exception as exc:
        log.exception("delivering dispatch %s failed", dispatch.pk)
        _broken(dispatch, owner, exc, report)


def _broken(dispatch: Dispatch, owner: str, exc: Exception, report: PassReport) -> None:
    """Ends a dispatch that broke while `owner` held it (`broken.fail_broken`): failed with the
    error as its reason, the SMM told. Its attempt, if any, keeps no outcome: whatever sends it
    next reconciles first. One that was settled before the error keeps its state."""
    try:
        if fail_broken(dispatch.pk, owner, exc) == S.FAILED:
            report.failed += 1
    except Exception:  # even failing it broke (the database?): its lease runs out, reconciled
        log.exception("failing broken dispatch %s failed", dispatch.pk)
        report.failed += 1


def _prepare(fresh: list[Dispatch]) -> tuple[list[Ready], list[Dispatch]]:
    """The first sends with nothing in their way; the rest go one by one."""
    if not fresh:
        return [], []
    contents = answers_many(CONTENT, fresh)
    channels = Channel.objects.select_related("project").in_bulk({d.channel_id for d in fresh})
    policies = dict(
        PublishingSettings.objects.filter(
            project_id__in={c.project_id for c in channels.values()}
        ).values_list("project_id", "missed")
    )  # fmt: skip
    timeout = min(30.0, lease().total_seconds() / 3)
    targets: dict[int, Target | None] = {}
    ready, rest = [], []
    for dispatch in fresh:
        post, channel = contents.get(dispatch.pk), channels.get(dispatch.channel_id)
        connector = connector_for(channel.network) if channel else None
        if not isinstance(post, Post) or connector is None:
            rest.append(dispatch)
            continue
        dispatch.channel = channel
        if channel.pk not in targets:
            try:
                usable = channel.credentials and channel.connection != Connection.NEEDS_RECONNECT
                targets[channel.pk] = target_for(channel, timeout=timeout) if usable else None
            except crypto.CannotDecrypt:
                targets[channel.pk] = None
        target = targets[channel.pk]
        now = timezone.now()
        late = dispatch.due_at is not None and now - dispatch.due_at > GRACE
        policy = policies.get(channel.project_id, MissedPolicy.AUTO)
        if (
            target is None
            or (late and not dispatch.send_late and holds_missed(policy, now - dispatch.due_at))
            or connector.validate(post)
        ):  # fmt: skip
            rest.append(dispatch)
            continue
        keys = limits.keys_for(channel, target.credentials)
        ready.append(Ready(dispatch, post, connector, target, keys, late, dispatch.lease_owner))
    return ready, rest


def _wave(wave: list[Ready], report: PassReport, pool: ThreadPoolExecutor) -> list[Dispatch]:
    """Sends one wave side by side; answers the dispatches left for `single.deliver`."""
    later: list[Dispatch] = []
    lost = set(
        Channel.objects.filter(
            pk__in={r.dispatch.channel_id for r in wave}, connection=Connection.NEEDS_RECONNECT
        ).values_list("pk", flat=True)
    )  # another worker (or this batch) lost the channel meanwhile: it is held one by one
    going = []
    for ready in wave:
        if ready.dispatch.channel_id in lost or limits.take(ready.keys) > 0:
            later.append(ready.dispatch)  # it waits in place or goes back, as `single` decides
        else:
            going.append(ready)
    going = _write_attempts(going)
    if not going:
        return later
    language = translation.get_language()
    calls = [pool.submit(_call, language, r) for r in going]
    sent = []
    for ready, call in zip(going, calls, strict=True):
        try:
            call.result()
            sent.append(ready)
        except Exception as exc:  # its attempt keeps no outcome: reconciled before a re-send
            log.exception("delivering dispatch %s failed", ready.dispatch.pk)
            _broken(ready.dispatch, ready.owner, exc, report)
    _record(sent, report)
    return later


def _write_attempts(going: list[Ready]) -> list[Ready]:
    """Renews the leases and writes the attempts in one transaction; answers those still ours
    (a lease another worker took over sends nothing)."""
    if not going:
        return []
    owner = going[0].dispatch.lease_owner
    started = timezone.now()
    ids = [r.dispatch.pk for r in going]
    with transaction.atomic():
        mine = Dispatch.objects.filter(pk__in=ids, state=S.SENDING, lease_owner=owner)
        if mine.update(lease_until=started + lease()) != len(ids):
            ours = set(mine.values_list("pk", flat=True))  # under our write: consistent
            going = [r for r in going if r.dispatch.pk in ours]
        attempts = [
            Attempt(dispatch=r.dispatch, kind=AttemptKind.PUBLISH, worker=owner,
                    started_at=started, request=_summary(r))
            for r in going
        ]  # fmt: skip
        Attempt.objects.bulk_create(attempts)
    for ready, attempt in zip(going, attempts, strict=True):
        ready.attempt = attempt
    return going


def _summary(ready: Ready) -> dict:
    channel, post = ready.dispatch.channel, ready.post
    return {
        "method": "publish", "network": channel.network, "handle": channel.handle,
        "text_chars": len(post.text or ""), "media": len(post.media), "guid": post.guid,
        "is_ad": post.is_ad,
    }  # fmt: skip


def _call(language: str, ready: Ready) -> None:
    """The request itself, on a pool thread: no database here."""
    with translation.override(language):
        clock = time.monotonic()
        outcome = ready.connector.publish(ready.target, ready.post)
        ready.took = int((time.monotonic() - clock) * 1000)
        ready.finished = timezone.now()
        response = " · ".join(x for x in (outcome.detail, outcome.external_id, outcome.url) if x)
        ready.words = {"response": response[:2000], "reason": str(outcome.reason or "")[:2000]}
        ready.outcome = outcome


def _record(sent: list[Ready], report: PassReport) -> None:
    """The outcomes and the posts' addresses in one transaction, with the release of what went
    out (a savepoint: a listener's error leaves those to the path one by one)."""
    if not sent:
        return
    published = [r for r in sent if r.outcome.kind is OutcomeKind.PUBLISHED]
    released: list[Dispatch] | None = []
    with transaction.atomic():
        for r in sent:
            a = r.attempt
            a.finished_at, a.duration_ms, a.outcome = r.finished, r.took, str(r.outcome.kind)
            a.response, a.reason = r.words["response"], r.words["reason"]
        fields = ["finished_at", "duration_ms", "outcome", "response", "reason"]
        updates.update_each([r.attempt for r in sent], fields)
        for r in published:
            r.dispatch.external_id, r.dispatch.url = r.outcome.external_id, r.outcome.url
        updates.update_each([r.dispatch for r in published], ["external_id", "url"])
        try:
            with transaction.atomic():
                released = _release_published(published)
                each_or_many(DELIVERED, released)  # the content mirrors them
        except Exception:
            log.exception("releasing %s published dispatches together failed", len(published))
            released = None
    if released is None:  # one by one: a dispatch whose listener fails is left to its lease
        for r in published:
            r.dispatch.lease_owner = r.owner  # the rolled-back release had cleared it
            _safely(r.dispatch, report, lambda r=r: _published(r.dispatch, r.outcome, report,
                                                               late=r.late), r.owner)  # fmt: skip
    else:
        report.published += len(released)
        _emit_published(released)
    for r in sent:
        if r.outcome.kind is not OutcomeKind.PUBLISHED:
            _safely(
                r.dispatch,
                report,
                lambda r=r: _act_on(r.dispatch, r.outcome, report, late=r.late, keys=list(r.keys)),
                r.owner,
            )


def _release_published(published: list[Ready]) -> list[Dispatch]:
    """Ends the leases still ours as published (or late); answers those dispatches."""
    if not published:
        return []
    owner = published[0].dispatch.lease_owner
    ids = [r.dispatch.pk for r in published]
    held = Dispatch.objects.filter(pk__in=ids, state=S.SENDING, lease_owner=owner)
    ours = set(held.select_for_update().values_list("pk", flat=True))
    mine = [r for r in published if r.dispatch.pk in ours]
    if not mine:
        return []
    now = timezone.now()
    late = [r.dispatch.pk for r in mine if r.late]
    fields = {
        "published_at": now, "reason": "", "tries": 0, "next_try_at": None, "hold_reason": "",
        "lease_owner": "", "lease_until": None,
    }  # fmt: skip
    held.filter(pk__in=ours).update(
        state=Case(When(pk__in=late, then=Value(S.LATE)), default=Value(S.PUBLISHED)), **fields
    )
    for r in mine:
        for name, value in fields.items():
            setattr(r.dispatch, name, value)
        r.dispatch.state = S.LATE if r.late else S.PUBLISHED
    return [r.dispatch for r in mine]


def _emit_published(dispatches: list[Dispatch]) -> None:
    """The workspaces' webhooks hear what went out (asked once a batch who listens)."""
    spaces = {d.channel.project.workspace_id for d in dispatches}
    listening = {
        space for space, events in Endpoint.objects.filter(
            workspace_id__in=spaces, active=True
        ).values_list("workspace_id", "events")
        if "publication.published" in (events or [])
    }  # fmt: skip
    for d in dispatches:
        if d.channel.project.workspace_id in listening:
            _emit(d, "publication.published", url=d.url, external_id=d.external_id,
                  late=d.state == S.LATE)  # fmt: skip
