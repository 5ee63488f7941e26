"""A VK community connected through VK ID (OAuth 2.1 with PKCE) instead of a pasted token.

Offered when the installation has a public HTTPS address (``ZVENO_BASE_URL``: VK ID sends the
browser back to it) and a VK ID app (``ZVENO_VK_CLIENT_ID``); otherwise the channel's page says
why and a user token is pasted as before.

1. ``start``: a ``state`` bound to the person and the channel, signed and expiring (10 minutes),
   and a PKCE ``code_verifier`` kept in the person's server-side session; the browser goes to
   ``<ZVENO_VK_ID_URL>/authorize`` with the S256 challenge and the scopes a community's
   publishing needs.
2. ``finish`` (the one redirect URL registered with the app): the state is checked (signature,
   age, the same person, a verifier not used before), the code is exchanged with the verifier
   and the ``device_id`` VK ID returned, and the access and refresh tokens are stored encrypted
   (``core.crypto``) like a pasted token; then the connection is tested.
3. ``fresh_credentials``: VK ID's access tokens live an hour. Before one would expire, whoever
   is about to use it (the scheduler, a test, the collector) trades the refresh token for a new
   pair. Refresh tokens are single-use, so the new pair is stored only if nobody stored another
   meanwhile (a compare-and-swap on the encrypted blob); a refusal leaves the old token, which the
   network then refuses, and the channel goes through the usual "needs reconnecting" path.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from zveno.core import crypto
from zveno.core.addresses import is_public
from zveno.publishing.clients import vk as vk_client
from zveno.publishing.models import Channel, Connection, Network
from zveno.workspaces import access
from zveno.workspaces.roles import Capability

log = logging.getLogger(__name__)

SCOPES = ("wall", "photos", "video", "groups", "stats", "offline")
STATE_MAX_AGE = 600  # seconds from "Connect with VK ID" to VK ID's answer
REFRESH_AHEAD = 300  # seconds before expiry when a token is renewed
SESSION_KEY = "vk-id:{nonce}"
_SALT = "zveno.publishing.vk_id.state"


class StateRefused(ValidationError):
    """VK ID's answer does not belong to this person's recent "Connect with VK ID"."""


# --- is it offered here? -----------------------------------------------------------------------


def unavailable_reason() -> str:
    """Why the VK ID button is not offered here ("" when it is)."""
    if not is_public(settings.BASE_URL):
        return _(
            "Connecting with VK ID needs Zveno at a public HTTPS address (ZVENO_BASE_URL, now "
            "%(url)s): VK ID sends the browser back there. Paste a user token instead."
        ) % {"url": settings.BASE_URL}
    if not settings.ZVENO_VK_CLIENT_ID:
        return _(
            "Connecting with VK ID needs a VK ID app: set ZVENO_VK_CLIENT_ID (see the README). "
            "Paste a user token instead."
        )
    return ""


def redirect_uri() -> str:
    """The one address VK ID sends people back to; registered with the app as is."""
    return settings.BASE_URL + reverse("publishing:vk_id_callback")


# --- 1. start ------------------------------------------------------------------------------------


def _sign(payload: str) -> str:
    return salted_hmac(_SALT, payload, algorithm="sha256").hexdigest()[:40]


def _state(user_id: int, channel_id: int, nonce: str) -> str:
    # Only a-z, 0-9 and "_": VK ID accepts letters, digits, "_" and "-" in a state.
    payload = f"{user_id}_{channel_id}_{int(time.time()):x}_{nonce}"
    return f"{payload}_{_sign(payload)}"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def start(actor, channel: Channel, session) -> str:
    """The VK ID address to send the person to; the verifier stays in their session."""
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    if channel.network != Network.VK:
        raise ValidationError(_("VK ID connects VK communities only."))
    reason = unavailable_reason()
    if reason:
        raise ValidationError(reason)
    nonce = secrets.token_hex(16)
    verifier = secrets.token_urlsafe(64)  # 86 characters of a-z, A-Z, 0-9, "-" and "_"
    session[SESSION_KEY.format(nonce=nonce)] = verifier
    query = {
        "response_type": "code", "client_id": settings.ZVENO_VK_CLIENT_ID,
        "redirect_uri": redirect_uri(), "state": _state(actor.pk, channel.pk, nonce),
        "code_challenge": _challenge(verifier), "code_challenge_method": "S256",
        "scope": " ".join(SCOPES),
    }  # fmt: skip
    return f"{settings.ZVENO_VK_ID_URL.rstrip('/')}/authorize?{urlencode(query)}"


# --- 2. finish -----------------------------------------------------------------------------------


def read_state(actor, state: str, session) -> tuple[int, str]:
    """(channel id, verifier) of a state this person's "Connect" made in the last minutes; the
    verifier is taken from the session, so an answer is used once. Raises StateRefused."""
    parts = (state or "").split("_")
    refused = StateRefused(_("This VK ID answer is not valid here: start connecting again."))
    if len(parts) != 5:
        raise refused
    user_id, channel_id, issued, nonce, signature = parts
    if not constant_time_compare(signature, _sign("_".join(parts[:4]))):
        raise refused
    if user_id != str(actor.pk) or not channel_id.isdigit():
        raise refused
    try:
        age = time.time() - int(issued, 16)
    except ValueError:
        raise refused from None
    if not 0 <= age <= STATE_MAX_AGE:
        raise StateRefused(_("The VK ID answer came too late: start connecting again."))
    verifier = session.pop(SESSION_KEY.format(nonce=nonce), None)
    if not verifier:
        raise refused
    return int(channel_id), verifier


def exchange(verifier: str, code: str, device_id: str, state: str) -> dict:
    """VK ID's tokens for the code; raises ValidationError with VK ID's words."""
    try:
        return vk_client.exchange_code(
            settings.ZVENO_VK_ID_URL, client_id=settings.ZVENO_VK_CLIENT_ID, code=code,
            code_verifier=verifier, device_id=device_id, redirect_uri=redirect_uri(),
            state=state, timeout=15.0,
        )  # fmt: skip
    except vk_client.VkIdError as exc:
        raise ValidationError(
            _("VK ID did not give a token: %(error)s.") % {"error": str(exc)}
        ) from None
    except httpx.HTTPError as exc:
        raise ValidationError(
            _("VK ID could not be reached: %(error)s.") % {"error": type(exc).__name__}
        ) from None


def secrets_of(tokens: dict, device_id: str) -> dict[str, str]:
    """What is kept (encrypted) of VK ID's answer: all text, as every stored secret is."""
    expires_in = int(tokens.get("expires_in") or 3600)
    return {
        "access_token": str(tokens["access_token"]),
        "refresh_token": str(tokens.get("refresh_token") or ""),
        "device_id": str(device_id),
        "expires_at": str(int(time.time()) + expires_in),
        "user_id": str(tokens.get("user_id") or ""),
    }


@transaction.atomic
def store(actor, channel: Channel, stored: dict[str, str]) -> Channel:
    """Keeps VK ID's tokens on the channel, encrypted; the connection is tested next."""
    access.require(actor, channel.project, Capability.MANAGE_PROJECT)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    channel.credentials = crypto.encrypt(stored)
    channel.credentials_hint = f"{crypto.mask(stored['access_token'])} · VK ID"
    channel.connection, channel.connection_checked_at, channel.connection_result = (
        Connection.UNKNOWN, None, {},
    )  # fmt: skip
    channel.save()
    return channel


# --- 3. keeping the access token fresh -----------------------------------------------------------


def fresh_credentials(channel: Channel, stored: dict) -> dict:
    """The channel's secrets with an access token that will live a while yet: renewed with the
    refresh token when it is about to expire. Never raises: a failure keeps what was stored."""
    if not stored.get("refresh_token") or not settings.ZVENO_VK_CLIENT_ID:
        return stored
    try:
        expires_at = int(stored.get("expires_at") or 0)
    except ValueError:
        expires_at = 0
    if expires_at - time.time() > REFRESH_AHEAD:
        return stored
    blob = channel.credentials
    try:
        tokens = vk_client.refresh_access_token(
            settings.ZVENO_VK_ID_URL, client_id=settings.ZVENO_VK_CLIENT_ID,
            refresh_token=stored["refresh_token"], device_id=stored.get("device_id", ""),
            state=secrets.token_hex(16), timeout=15.0,
        )  # fmt: skip
    except (vk_client.VkIdError, httpx.HTTPError) as exc:
        newer = _stored_now(channel, blob)
        if newer is not None:  # another worker renewed it first (its refresh token was spent)
            return newer
        log.warning("VK ID refused to renew the token of channel %s: %s", channel.pk, exc)
        return stored
    renewed = {**stored, **secrets_of(tokens, stored.get("device_id", ""))}
    if not renewed["refresh_token"]:
        renewed["refresh_token"] = stored["refresh_token"]
    token = crypto.encrypt(renewed)
    swapped = Channel.objects.filter(pk=channel.pk, credentials=blob).update(
        credentials=token, credentials_hint=f"{crypto.mask(renewed['access_token'])} · VK ID"
    )
    if not swapped:
        newer = _stored_now(channel, blob)
        return newer if newer is not None else renewed
    channel.credentials = token
    return renewed


def _stored_now(channel: Channel, blob: str) -> dict | None:
    """The channel's secrets if somebody replaced them since `blob` was read, else None."""
    now = Channel.objects.filter(pk=channel.pk).values_list("credentials", flat=True).first()
    if not now or now == blob:
        return None
    channel.credentials = now
    try:
        return crypto.decrypt(now)
    except crypto.CannotDecrypt:
        return None


def via_vk_id(channel: Channel) -> bool:
    """The stored token came from VK ID (and renews itself)."""
    return channel.credentials_hint.endswith("VK ID")
