"""The only way a project's channels change.

A channel carries its network, name, handle or address, its own cadence (units a week by format;
empty: the playbook's) and its preferred posting slots (weekday and local time). Connected for
publishing, it also keeps its credentials, encrypted (``core.crypto``), and the state of its
connection as the last test or delivery found it.

A channel that anything refers to (publications, analytics posts or days) is never deleted: it
is deactivated instead, so the history keeps its channel.
"""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core import crypto
from zveno.core.jobs import enqueue
from zveno.publishing import delivery
from zveno.publishing.connections import SECRET_FIELDS, record_connection, target_for
from zveno.publishing.connectors.base import Outcome, OutcomeKind, connector_for
from zveno.publishing.models import (
    Attempt,
    AttemptKind,
    Channel,
    Connection,
    Dispatch,
    DispatchState,
    Format,
    MissedPolicy,
    Network,
    PublishingSettings,
)
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability
from zveno.workspaces.services import PROJECT_CHANGED

TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_SLOTS = 50
MAX_UNITS = 100
EDITABLE = ("network", "name", "handle", "cadence", "slots", "is_active")


# --- checking what is typed -------------------------------------------------------------------


def clean_slots(raw) -> list[dict]:
    """[{"weekday": 0-6, "time": "HH:MM"}], sorted, or a ValidationError naming the bad one."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple):
        raise ValidationError({"slots": _("Slots must be a list of weekday and time.")})
    if len(raw) > MAX_SLOTS:
        raise ValidationError({"slots": _("At most %(n)s slots.") % {"n": MAX_SLOTS}})
    found: list[tuple[int, str]] = []
    for slot in raw:
        weekday = slot.get("weekday") if isinstance(slot, dict) else None
        time = slot.get("time") if isinstance(slot, dict) else None
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationError(
                {"slots": _("A weekday is a number from 0 (Monday) to 6 (Sunday).")}
            )
        match = TIME.match(time.strip()) if isinstance(time, str) else None
        if match is None:
            raise ValidationError(
                {"slots": _("“%(time)s” is not a time: write HH:MM, e.g. 10:00.") % {"time": time}}
            )
        key = (weekday, f"{int(match.group(1)):02d}:{match.group(2)}")
        if key in found:
            raise ValidationError(
                {"slots": _("The slot %(day)s %(time)s is listed twice.")
                 % {"day": weekday_label(key[0]), "time": key[1]}}
            )  # fmt: skip
        found.append(key)
    return [{"weekday": day, "time": time} for day, time in sorted(found)]


def clean_cadence(raw) -> dict:
    """{format: units a week} with known formats and numbers from 0; zeros are dropped."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationError({"cadence": _("The cadence is units a week by format.")})
    out: dict[str, float | int] = {}
    for fmt, value in raw.items():
        if fmt not in Format.values:
            raise ValidationError({"cadence": _("Unknown format: %(format)s") % {"format": fmt}})
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError({"cadence": _("Units a week must be a number.")})
        if value < 0 or value > MAX_UNITS:
            raise ValidationError(
                {"cadence": _("Units a week must be between 0 and %(n)s.") % {"n": MAX_UNITS}}
            )
        if value:
            out[fmt] = int(value) if float(value).is_integer() else float(value)
    return out


def weekday_label(weekday: int) -> str:
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return names[weekday] if 0 <= weekday <= 6 else str(weekday)


def is_used(channel: Channel) -> bool:
    """True when a publication, an analytics post or a day of figures refers to the channel."""
    relations = ("publications", "posts", "days", "business_days")
    return any(getattr(channel, name).exists() for name in relations if hasattr(channel, name))


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def add_channel(
    actor, project: Project, network: str, name: str = "", handle: str = "", *,
    cadence=None, slots=None, is_active: bool = True,
) -> Channel:  # fmt: skip
    access.require(actor, project, Capability.MANAGE_PROJECT)
    if not network:
        raise ValidationError({"network": _("Choose a network.")})
    if network not in Network.values:
        raise ValidationError({"network": _("Unknown network: %(network)s") % {"network": network}})
    label = dict(Network.choices)[network]
    return Channel.objects.create(
        project=project, network=network, name=(name or str(label)).strip()[:120],
        handle=(handle or "").strip()[:200], cadence=clean_cadence(cadence),
        slots=clean_slots(slots), is_active=bool(is_active),
    )  # fmt: skip


@transaction.atomic
def update_channel(actor, channel: Channel, **fields) -> Channel:
    """Changes any of network, name, handle, cadence, slots and is_active."""
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This field cannot be changed.")))
    if "network" in fields and fields["network"] not in Network.values:
        raise ValidationError(
            {"network": _("Unknown network: %(network)s") % {"network": fields["network"]}}
        )
    if "name" in fields:
        name = (fields["name"] or "").strip()[:120]
        if not name:
            raise ValidationError({"name": _("Name the channel.")})
        fields["name"] = name
    if "handle" in fields:
        fields["handle"] = (fields["handle"] or "").strip()[:200]
    if "cadence" in fields:
        fields["cadence"] = clean_cadence(fields["cadence"])
    if "slots" in fields:
        fields["slots"] = clean_slots(fields["slots"])
    if "is_active" in fields:
        fields["is_active"] = bool(fields["is_active"])
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.save(update_fields=list(fields) or None)
    return channel


@transaction.atomic
def set_networks(actor, project: Project, networks: list[str]) -> list[Channel]:
    """Makes sure the project has an active channel on each network named (used at creation)."""
    have = set(project.channels.values_list("network", flat=True))
    return [
        add_channel(actor, project, network)
        for network in dict.fromkeys(networks)
        if network not in have
    ]


@transaction.atomic
def sync_networks(actor, project: Project, networks: list[str]) -> None:
    """Channels on exactly these networks are active; the others are paused, never deleted."""
    access.require(actor, project, Capability.MANAGE_PROJECT)
    wanted = set(networks)
    unknown = wanted - set(Network.values)
    if unknown:
        raise ValidationError(
            {
                "networks": _("Unknown network: %(network)s")
                % {"network": ", ".join(sorted(unknown))}
            }
        )
    project.channels.filter(network__in=wanted, is_active=False).update(is_active=True)
    project.channels.exclude(network__in=wanted).update(is_active=False)
    PROJECT_CHANGED(project)  # the active channels changed without a save
    set_networks(actor, project, networks)


class ChannelInUse(ValidationError):
    """Raised by ``remove_channel`` for a channel with publications or figures."""


@transaction.atomic
def remove_channel(actor, channel: Channel) -> None:
    """Deletes an unused channel; one with publications or figures is refused (deactivate it)."""
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    if is_used(channel):
        raise ChannelInUse(
            _("The channel has publications or figures, so it cannot be deleted; "
              "deactivate it instead.")
        )  # fmt: skip
    channel.delete()


# --- connecting for publishing -----------------------------------------------------------------


def can_connect(channel: Channel) -> bool:
    """True for networks Zveno publishes to (a connector is registered)."""
    return connector_for(channel.network) is not None and channel.network in SECRET_FIELDS


def clean_credentials(network: str, raw) -> dict[str, str]:
    """The secrets the network needs, stripped; a ValidationError names what is missing."""
    if not isinstance(raw, dict):
        raise ValidationError({"credentials": _("Credentials are a set of named secrets.")})
    wanted = SECRET_FIELDS.get(network)
    if wanted is None:
        raise ValidationError(
            {"credentials": _("Zveno does not publish to this network: mark posts by hand.")}
        )
    unknown = sorted(set(raw) - set(wanted))
    if unknown:
        raise ValidationError(
            {"credentials": _("Unknown field: %(name)s; expected %(expected)s.")
             % {"name": ", ".join(unknown), "expected": ", ".join(wanted)}}
        )  # fmt: skip
    cleaned = {}
    for name in wanted:
        value = raw.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            raise ValidationError({"credentials": _("Fill in %(name)s.") % {"name": name}})
        if len(value) > 1000 or any(ch.isspace() for ch in value):
            raise ValidationError(
                {"credentials": _("%(name)s does not look like a token.") % {"name": name}}
            )
        cleaned[name] = value
    return cleaned


@transaction.atomic
def connect_channel(actor, channel: Channel, credentials: dict | None, handle: str | None = None):
    """Stores the channel's secrets encrypted (empty: disconnects) and, if given, its handle;
    the connection is "not tested" until the next test."""
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if handle is not None:
        channel.handle = (handle or "").strip()[:200]
    if credentials is not None:
        if credentials:
            secrets = clean_credentials(channel.network, credentials)
            channel.credentials = crypto.encrypt(secrets)
            channel.credentials_hint = ", ".join(crypto.mask(v) for v in secrets.values())
        else:
            channel.credentials, channel.credentials_hint = "", ""
        channel.connection = Connection.UNKNOWN
        channel.connection_checked_at = None
        channel.connection_result = {}
    channel.save()
    return channel


def test_connection(actor, channel: Channel) -> Channel:
    """Asks the network whether the channel can be published to, and keeps the answer."""
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    return check_connection(channel)


def check_connection(channel: Channel) -> Channel:
    """The test itself (the CLI's operator and the services call it): no database lock is held
    while the network answers."""
    connector = connector_for(channel.network)
    if connector is None or channel.network not in SECRET_FIELDS:
        outcome = Outcome(OutcomeKind.REJECTED, reason=_("Zveno does not publish to this network."))
    elif not channel.credentials:
        outcome = Outcome(OutcomeKind.AUTH_LOST, reason=_("The channel is not connected yet."))
    elif not channel.handle:
        outcome = Outcome(OutcomeKind.REJECTED, reason=_("Fill in the channel's handle or id."))
    else:
        try:
            target = target_for(channel, timeout=15.0)
        except crypto.CannotDecrypt:
            outcome = Outcome(
                OutcomeKind.AUTH_LOST,
                reason=_("The stored token cannot be read with the current keys: connect again."),
            )
        else:
            outcome = connector.test(target)
    return record_connection(channel, outcome)


@transaction.atomic
def rotate_credentials() -> int:
    """Re-encrypts every stored secret with the newest key; returns how many were rewritten."""
    changed = 0
    for channel in Channel.objects.select_for_update().exclude(credentials=""):
        token = crypto.rotate(channel.credentials)
        if token != channel.credentials:
            Channel.objects.filter(pk=channel.pk).update(credentials=token)
            changed += 1
    return changed


# --- delivery: what people do about a publication ------------------------------------------------

S = DispatchState


def dispatch_for(ref: int, channel: Channel) -> Dispatch:
    """The publication's dispatch (made planned when the scheduler has not seen it yet)."""
    dispatch, _created = Dispatch.objects.get_or_create(
        ref=ref, defaults={"channel": channel, "guid": uuid.uuid4().hex, "state": S.PLANNED}
    )
    return dispatch


def _locked(dispatch: Dispatch) -> Dispatch:
    return Dispatch.objects.select_for_update().select_related("channel").get(pk=dispatch.pk)


def _send_soon(dispatch: Dispatch) -> None:
    dispatch_id = dispatch.pk
    transaction.on_commit(lambda: enqueue("zveno.publishing.tasks.deliver", dispatch_id))


def _sending_now(dispatch: Dispatch) -> bool:
    return dispatch.state == S.SENDING and (
        dispatch.lease_until is not None and dispatch.lease_until > timezone.now()
    )


@transaction.atomic
def publish_now(actor, dispatch: Dispatch) -> Dispatch:
    """Queues an approved publication (a held, failed or cancelled one too) to go out now: the
    worker's job sends it after the commit (``sending.deliver_queued``)."""
    access.require(actor, dispatch.channel.project, Capability.PUBLISH)
    dispatch = _locked(dispatch)
    if dispatch.went_out:
        raise ValidationError(_("It is already published."))
    if dispatch.state == S.NEEDS_CHECK:
        raise ValidationError(_("First say whether the last attempt went out."))
    if _sending_now(dispatch):
        raise ValidationError(_("It is being sent right now."))
    if connector_for(dispatch.channel.network) is None:
        raise ValidationError(_("Zveno does not publish to this network: mark it by hand."))
    content = delivery.first_answer(delivery.CONTENT, dispatch)
    if content is None:
        raise ValidationError(_("The publication no longer exists."))
    if isinstance(content, delivery.Refusal):
        raise ValidationError(content.reason)
    # Due now (an earlier time stays: it may be published late); the queued job sends it within
    # seconds, and a pass of the scheduler would take it the same way.
    now = timezone.now()
    Dispatch.objects.filter(pk=dispatch.pk).update(
        state=S.SCHEDULED, next_try_at=None, hold_reason="", reason="", tries=0, send_late=True,
        lease_owner="", lease_until=None,
        due_at=min(dispatch.due_at, now) if dispatch.due_at else now,
    )  # fmt: skip
    dispatch.refresh_from_db()
    _send_soon(dispatch)
    return dispatch


@transaction.atomic
def retry(actor, dispatch: Dispatch) -> Dispatch:
    """A failed, held or cancelled publication is tried again now."""
    dispatch = _locked(dispatch)
    if dispatch.state not in (S.FAILED, S.HELD, S.CANCELLED, S.SCHEDULED):
        access.require(actor, dispatch.channel.project, Capability.PUBLISH)
        raise ValidationError(
            _("Only a failed, held or cancelled publication is retried; this one is %(state)s.")
            % {"state": dispatch.get_state_display()}
        )
    return publish_now(actor, dispatch)


@transaction.atomic
def confirm(actor, dispatch: Dispatch, went_out: bool, url: str = "") -> Dispatch:
    """A person's answer to "needs a check": it went out (done) or it did not (sent again)."""
    access.require(actor, dispatch.channel.project, Capability.PUBLISH)
    dispatch = _locked(dispatch)
    if dispatch.state != S.NEEDS_CHECK:
        raise ValidationError(_("This publication is not waiting for a check."))
    _person_says(actor, dispatch, went_out, url)
    if went_out:
        _set(dispatch, state=S.PUBLISHED, url=url or dispatch.url, published_at=timezone.now(),
             reason="")  # fmt: skip
        return dispatch
    _set(dispatch, state=S.SCHEDULED, next_try_at=None, reason="", send_late=True)
    _send_soon(dispatch)
    return dispatch


@transaction.atomic
def mark_published(actor, dispatch: Dispatch, url: str = "") -> Dispatch:
    """It went out by other means (posted by hand): keep its link, send nothing."""
    access.require(actor, dispatch.channel.project, Capability.PUBLISH)
    dispatch = _locked(dispatch)
    if dispatch.went_out:
        raise ValidationError(_("It is already published."))
    if _sending_now(dispatch):
        raise ValidationError(_("It is being sent right now."))
    _person_says(actor, dispatch, True, url)
    _set(dispatch, state=S.PUBLISHED, url=url, published_at=timezone.now(), reason="",
         lease_owner="", lease_until=None)  # fmt: skip
    return dispatch


@transaction.atomic
def cancel_dispatch(actor, dispatch: Dispatch) -> Dispatch:
    """It will not be sent (until someone sends it again)."""
    access.require(actor, dispatch.channel.project, Capability.PUBLISH)
    dispatch = _locked(dispatch)
    if dispatch.went_out:
        raise ValidationError(_("It is already published: delete the post instead."))
    if _sending_now(dispatch):
        raise ValidationError(_("It is being sent right now."))
    _set(dispatch, state=S.CANCELLED, reason=_("Cancelled by %(name)s.") % {"name": str(actor)},
         lease_owner="", lease_until=None)  # fmt: skip
    return dispatch


def edit_sent(actor, dispatch: Dispatch, post) -> Dispatch:
    """Changes a published post on the network to `post` (its text and media)."""
    access.require(actor, dispatch.channel.project, Capability.PUBLISH)
    return _on_network(dispatch, AttemptKind.EDIT, post)


def delete_sent(actor, dispatch: Dispatch) -> Dispatch:
    """Deletes a published post from the network; the publication can be sent again later."""
    access.require(actor, dispatch.channel.project, Capability.PUBLISH)
    return _on_network(dispatch, AttemptKind.DELETE, None)


def _on_network(dispatch: Dispatch, kind: str, post) -> Dispatch:
    dispatch = Dispatch.objects.select_related("channel").get(pk=dispatch.pk)
    if not dispatch.went_out or not dispatch.external_id:
        raise ValidationError(_("Only a post Zveno published can be changed on the network."))
    connector = connector_for(dispatch.channel.network)
    target = target_for(dispatch.channel)
    started = timezone.now()
    attempt = Attempt.objects.create(
        dispatch=dispatch, kind=kind, started_at=started, worker=delivery.worker_id(),
        request={"method": kind, "external_id": dispatch.external_id,
                 "text_chars": len(post.text) if post else None},
    )  # fmt: skip
    if kind == AttemptKind.EDIT:
        outcome = connector.edit(target, dispatch.external_id, post)
    else:
        outcome = connector.delete(target, dispatch.external_id)
    Attempt.objects.filter(pk=attempt.pk).update(
        finished_at=timezone.now(), outcome=str(outcome.kind), reason=str(outcome.reason),
        duration_ms=int((timezone.now() - started).total_seconds() * 1000),
        response=" · ".join(x for x in (outcome.detail, outcome.external_id) if x)[:2000],
    )  # fmt: skip
    if outcome.kind is OutcomeKind.AUTH_LOST:
        record_connection(dispatch.channel, outcome)
    done = outcome.kind is OutcomeKind.PUBLISHED or (
        kind == AttemptKind.DELETE and outcome.kind is OutcomeKind.NOT_FOUND
    )
    if not done:
        raise ValidationError(outcome.reason or _("The network did not accept the change."))
    if kind == AttemptKind.DELETE:
        with transaction.atomic():
            _set(dispatch, state=S.CANCELLED, external_id="", url="", published_at=None,
                 reason=_("Deleted from the network."))  # fmt: skip
    return dispatch


def _person_says(actor, dispatch: Dispatch, went_out: bool, url: str) -> None:
    now = timezone.now()
    Attempt.objects.create(
        dispatch=dispatch, kind=AttemptKind.CONFIRM, worker=f"user:{actor.pk}", started_at=now,
        finished_at=now, duration_ms=0,
        outcome=str(OutcomeKind.PUBLISHED if went_out else OutcomeKind.NOT_FOUND),
        request={"by": str(actor), "went_out": went_out}, response=url,
    )  # fmt: skip


def _set(dispatch: Dispatch, **fields) -> None:
    Dispatch.objects.filter(pk=dispatch.pk).update(**fields)
    for name, value in fields.items():
        setattr(dispatch, name, value)
    if "state" in fields:
        delivery.DELIVERED(dispatch)  # in the same transaction


@transaction.atomic
def set_missed_policy(actor, project: Project, missed: str) -> PublishingSettings:
    access.require(actor, project, Capability.MANAGE_PROJECT)
    if missed not in MissedPolicy.values:
        raise ValidationError({"missed": _("Unknown choice: %(value)s") % {"value": missed}})
    row, _created = PublishingSettings.objects.update_or_create(
        project=project, defaults={"missed": missed}
    )
    return row


@transaction.atomic
def record_delivery(channel: Channel, ref: int, state: str, *, due_at=None, url: str = "",
                    external_id: str = "", reason: str = "", hold_reason: str = "",
                    attempts: list[dict] = ()) -> Dispatch:  # fmt: skip
    """Keeps a delivery that happened elsewhere (history brought in, the demo): its state and its
    attempts as they were, mirrored on the publication like any other."""
    if state not in DispatchState.values:
        raise ValidationError({"state": _("Unknown choice: %(value)s") % {"value": state}})
    went_out = state in (S.PUBLISHED, S.LATE)
    dispatch, _created = Dispatch.objects.update_or_create(
        ref=ref,
        defaults={
            "channel": channel, "state": state, "due_at": due_at, "url": url,
            "external_id": external_id, "reason": reason, "hold_reason": hold_reason,
            "published_at": (attempts[-1].get("finished_at") if attempts else due_at)
            if went_out else None,
        },
        create_defaults={"channel": channel, "state": state, "guid": uuid.uuid4().hex,
                         "due_at": due_at, "url": url, "external_id": external_id,
                         "reason": reason, "hold_reason": hold_reason},
    )  # fmt: skip
    if went_out and dispatch.published_at is None:
        Dispatch.objects.filter(pk=dispatch.pk).update(published_at=timezone.now())
    dispatch.attempts.all().delete()
    Attempt.objects.bulk_create(
        Attempt(dispatch=dispatch, kind=a.get("kind", AttemptKind.PUBLISH),
                worker=a.get("worker", ""), started_at=a["started_at"],
                finished_at=a.get("finished_at"), duration_ms=a.get("duration_ms"),
                outcome=a.get("outcome", ""), request=a.get("request", {}),
                response=a.get("response", ""), reason=a.get("reason", ""))
        for a in attempts
    )  # fmt: skip
    dispatch.refresh_from_db()
    delivery.DELIVERED(dispatch)
    return dispatch
