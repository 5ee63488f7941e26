"""Whether an address of this installation can be reached from the internet.

A network calls Zveno back only at such an address: VK ID sends the browser back to it, and a
messenger delivers a bot's updates to it. Anything else (loopback, a private or link-local address,
a ``.local``/``.lan`` name, plain HTTP) means polling or pasting a token instead.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan")


def is_public(url: str) -> bool:
    """HTTPS on a name or address the internet can reach (no loopback, private or .local)."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and host != "localhost" and not host.endswith(LOCAL_SUFFIXES)
    return address.is_global
