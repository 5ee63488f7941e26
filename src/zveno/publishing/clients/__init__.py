"""Thin httpx clients for the documented HTTP APIs, no SDKs, so fakes and limits are ours."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building the context (reading the CA bundle) costs ~80 ms; a client per call shares it.
    return httpx.create_ssl_context()


def http_client(timeout: float) -> httpx.Client:
    """An httpx client for one connector call: cheap to make, closed by its owner."""
    return httpx.Client(timeout=timeout, verify=_tls())
