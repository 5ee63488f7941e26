"""The SSRF guard: a webhook never reaches the installation's own network.

A URL is refused unless it is http(s) and every address its host resolves to is public (not
loopback, private, link-local, shared, reserved or multicast). ``ZVENO_WEBHOOKS_ALLOW_PRIVATE``
lifts the rule for an installation whose automation runs beside it (n8n on the same machine).
The check runs when an endpoint is saved and again before every delivery (the name may resolve
elsewhere by then); redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class Refused(Exception):
    """The URL may not be called; the message says why, for the person."""


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(_("The host %(host)s cannot be found.") % {"host": host}) from exc
    return sorted({info[4][0] for info in infos})


def check(url: str) -> None:
    """Raises ``Refused`` when ``url`` may not be called."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Refused(_("Give an http:// or https:// address."))
    if getattr(settings, "ZVENO_WEBHOOKS_ALLOW_PRIVATE", False):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in _addresses(parts.hostname, port):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise Refused(
                _("%(host)s is a private address (%(ip)s): webhooks go only to public ones.")
                % {"host": parts.hostname, "ip": address}
            )
