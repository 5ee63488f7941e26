"""The only way a project's channels change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zveno.publishing.models import Channel, Network
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability


@transaction.atomic
def add_channel(actor, project: Project, network: str, name: str = "", handle: str = "") -> Channel:
    access.require(actor, project, Capability.MANAGE_PROJECT)
    if network not in Network.values:
        raise ValidationError({"network": _("Unknown network: %(network)s") % {"network": network}})
    label = dict(Network.choices)[network]
    return Channel.objects.create(
        project=project, network=network, name=(name or str(label)).strip()[:120], handle=handle
    )


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
    set_networks(actor, project, [n for n in networks if n in wanted])


@transaction.atomic
def remove_channel(actor, channel: Channel) -> None:
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    channel.delete()
