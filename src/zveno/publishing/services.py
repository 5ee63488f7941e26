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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zveno.core import crypto
from zveno.publishing.connectors.base import Outcome, OutcomeKind, Target, connector_for
from zveno.publishing.models import Channel, Connection, Format, Network
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

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

# The secret each network's connector needs, by the name the API takes.
SECRET_FIELDS = {
    Network.TELEGRAM: ("bot_token",),
    Network.MAX: ("bot_token",),
    Network.VK: ("access_token",),
}
BASE_URL_SETTINGS = {
    Network.TELEGRAM: "ZVENO_TELEGRAM_API_URL",
    Network.VK: "ZVENO_VK_API_URL",
    Network.MAX: "ZVENO_MAX_API_URL",
}


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


def target_for(channel: Channel, timeout: float = 30.0) -> Target:
    """The connector's view of the channel: its handle, decrypted secrets and API base URL."""
    base_url = getattr(settings, BASE_URL_SETTINGS.get(channel.network, ""), "")
    return Target(channel.handle, crypto.decrypt(channel.credentials), base_url, timeout)


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


def record_connection(channel: Channel, outcome: Outcome) -> Channel:
    """Keeps what a test (or a delivery) learnt about the channel's access."""
    if outcome.kind is OutcomeKind.PUBLISHED:
        state = Connection.OK
    elif outcome.kind is OutcomeKind.AUTH_LOST:
        state = Connection.NEEDS_RECONNECT
    else:
        state = Connection.ERROR
    result = {
        key: value for key, value in dict(outcome.data or {}).items()
        if isinstance(value, str | int | float | bool | list | type(None))
    }  # fmt: skip
    result.update(kind=str(outcome.kind), reason=str(outcome.reason or ""), url=outcome.url)
    channel.connection = state
    channel.connection_checked_at = timezone.now()
    channel.connection_result = result
    Channel.objects.filter(pk=channel.pk).update(
        connection=state, connection_checked_at=channel.connection_checked_at,
        connection_result=result,
    )  # fmt: skip
    return channel


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
