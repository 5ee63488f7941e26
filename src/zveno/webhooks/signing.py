"""The signature of a delivery: ``X-Zveno-Signature: t=<unix time>,v1=<hex>``, where the hex is
HMAC-SHA256 with the endpoint's secret over ``"<t>.<body>"``. A receiver recomputes it and
refuses a timestamp older than a few minutes (replays)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Zveno-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int) -> bool:
    """What a receiver does (and the tests): the signature matches and is recent."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
