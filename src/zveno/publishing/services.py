"""The only way a project's channels change.

A channel carries its network, name, handle or address, its own cadence (units a week by format;
empty: the playbook's) and its preferred posting slots (weekday and local time). Credentials for
publishing connectors come later and will attach to the channel, not replace it.

A channel that anything refers to (publications, analytics posts or days) is never deleted: it
is deactivated instead, so the history keeps its channel.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zveno.publishing.models import Channel, Format, Network
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
