"""Thin httpx clients for the documented HTTP APIs, no SDKs, so fakes and limits are ours."""

from __future__ import annotations

import functools
import ssl
import threading

import httpx


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building the context (reading the CA bundle) costs ~80 ms; a client per call shares it.
    return httpx.create_ssl_context()


class _KeptTransport(httpx.HTTPTransport):
    """A thread's connection pool, kept when a client closes, so the next call of the thread
    reuses an open connection to the same network (idle ones expire after 5 s, well before the
    networks close theirs)."""

    def close(self) -> None:
        pass


_local = threading.local()


def _transport() -> httpx.HTTPTransport:
    transport = getattr(_local, "transport", None)
    if transport is None:
        transport = _local.transport = _KeptTransport(
            verify=_tls(), limits=httpx.Limits(keepalive_expiry=5.0)
        )
    return transport


def http_client(timeout: float) -> httpx.Client:
    """An httpx client for one connector call: cheap to make, closed by its owner; its
    connections stay with the thread for the next call."""
    return httpx.Client(timeout=timeout, transport=_transport())
