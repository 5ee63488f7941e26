"""Secrets at rest: channel credentials are encrypted with Fernet (AES-128-CBC + HMAC-SHA256).

The keys come from ``ZVENO_ENCRYPTION_KEY``: one or more Fernet keys separated by commas, newest
first. Encryption always uses the first; decryption tries each, so a key is rotated by putting a
new one in front, running ``zveno manage rotate_credentials`` (which re-encrypts every stored
secret with the first key) and then dropping the old one. Without the variable, one key is
derived from ``SECRET_KEY`` with HKDF-SHA256, so a fresh installation encrypts from its first
minute; changing the secret key then needs the old one kept as a Fernet key for the rotation
(``zveno manage derive_encryption_key`` is not needed: ``key_from_secret`` prints the same key).
"""

from __future__ import annotations

import base64
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

HKDF_INFO = b"zveno channel credentials v1"


class CannotDecrypt(Exception):
    """No configured key opens the stored secret (a key was dropped before rotating)."""


def key_from_secret(secret: str) -> bytes:
    """The Fernet key derived from a secret key (used when ZVENO_ENCRYPTION_KEY is unset)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> list[bytes]:
    """The keys in use, newest first."""
    listed = getattr(settings, "ZVENO_ENCRYPTION_KEYS", None) or []
    keys = [key.strip().encode() for key in listed if key.strip()]
    return keys or [key_from_secret(settings.SECRET_KEY)]


@cache
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(configured_keys()))


def encrypt(data: dict) -> str:
    """A dict of secrets as one token (text); an empty dict is stored as an empty string."""
    if not data:
        return ""
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CannotDecrypt("no configured encryption key opens this secret") from None


def rotate(token: str) -> str:
    """The same secret encrypted with the newest key (unchanged when already so)."""
    if not token:
        return ""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CannotDecrypt("no configured encryption key opens this secret") from None


def mask(value: str) -> str:
    """What a person may see of a secret again: its last four characters."""
    value = value or ""
    return f"…{value[-4:]}" if len(value) > 8 else "…"
