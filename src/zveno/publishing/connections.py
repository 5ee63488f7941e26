"""A channel's access to its network: the secrets it needs, the connector's Target built from
them, and what a test or a delivery learnt about the connection. Used by the services and the
scheduler alike (both sit above this module)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from zveno.core import crypto
from zveno.publishing import vk_id
from zveno.publishing.connectors.base import Outcome, OutcomeKind, Target
from zveno.publishing.models import Channel, Connection, DispatchState, HoldReason, Network

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


def target_for(channel: Channel, timeout: float = 30.0) -> Target:
    """The connector's view of the channel: its handle, decrypted secrets and API base URL (a
    VK ID token about to expire is renewed first, ``vk_id.fresh_credentials``)."""
    base_url = getattr(settings, BASE_URL_SETTINGS.get(channel.network, ""), "")
    secrets = crypto.decrypt(channel.credentials)
    if secrets.get("refresh_token"):  # connected through VK ID: renewed before it expires
        secrets = vk_id.fresh_credentials(channel, secrets)
    return Target(channel.handle, secrets, base_url, timeout)


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
    if state == Connection.OK:
        # Connected again: what was held for the channel goes out (late, by the project's rule).
        channel.dispatches.filter(
            state=DispatchState.HELD, hold_reason=HoldReason.RECONNECT
        ).update(state=DispatchState.SCHEDULED, hold_reason="", reason="", next_try_at=None)
    channel.connection = state
    channel.connection_checked_at = timezone.now()
    channel.connection_result = result
    Channel.objects.filter(pk=channel.pk).update(
        connection=state, connection_checked_at=channel.connection_checked_at,
        connection_result=result,
    )  # fmt: skip
    return channel
