"""Throttling of guesses: sign-ins, password-reset e-mails, API tokens and login-free links.

The rule: each scope counts events per key (an account, an e-mail address or a client address)
in a fixed window that starts at the first event. Once the count reaches the scope's limit, the
scope answers 429 with ``Retry-After`` until the window ends. A successful sign-in clears its
account's count. The counts live in the ``throttle`` cache: the database cache table by default,
Redis when ``REDIS_URL`` is set, so every web process and machine sees the same counts.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string


@dataclass(frozen=True)
class Rule:
    limit: int  # events allowed in one window
    window: int  # seconds


# scope → rule. Tests and deployments may override any of them with ZVENO_THROTTLE in settings.
RULES: dict[str, Rule] = {
    "login-account": Rule(10, 15 * 60),  # wrong passwords for one account
    "login-address": Rule(30, 15 * 60),  # wrong passwords from one client address
    "reset-email": Rule(3, 60 * 60),  # password-reset e-mails to one address
    "reset-address": Rule(10, 60 * 60),  # password-reset requests from one client address
    "token-address": Rule(20, 10 * 60),  # unknown API tokens from one client address
    "link-address": Rule(20, 10 * 60),  # unknown login-free links from one client address
}


class Throttled(Exception):
    """Too many attempts; ``retry_after`` seconds until the next one is heard."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many attempts. Try again in {retry_after} s.")
        self.retry_after = retry_after


def rule(scope: str) -> Rule:
    override = getattr(settings, "ZVENO_THROTTLE", {}).get(scope)
    return Rule(*override) if override else RULES[scope]


def _key(scope: str, key: str) -> str:
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def _cache():
    return caches["throttle"]


def wait(scope: str, key: str) -> int:
    """Seconds until ``key`` may try again in ``scope``; 0 when it may now."""
    if not key:
        return 0
    state = _cache().get(_key(scope, key))
    if not state or state["n"] < rule(scope).limit:
        return 0
    return max(1, int(state["until"] - time.time()) + 1)


def hit(scope: str, key: str) -> None:
    """Counts one event for ``key`` in ``scope``."""
    if not key:
        return
    cache, name, now = _cache(), _key(scope, key), time.time()
    state = cache.get(name)
    if not state or state["until"] <= now:
        state = {"n": 0, "until": now + rule(scope).window}
    state["n"] += 1
    cache.set(name, state, timeout=max(1, int(state["until"] - now) + 1))


def clear(scope: str, key: str) -> None:
    if key:
        _cache().delete(_key(scope, key))


def check(*pairs: tuple[str, str]) -> None:
    """Raises Throttled with the longest wait among (scope, key) pairs that are over their limit."""
    longest = max((wait(scope, key) for scope, key in pairs), default=0)
    if longest:
        raise Throttled(longest)


def client_address(request) -> str:
    """The client's address; behind the proxy, the one the proxy appended last."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def too_many(request, retry_after: int) -> HttpResponse:
    """The 429 page for a person (the API answers in its own error shape)."""
    body = render_to_string(
        "core/throttled.html", {"minutes": -(-retry_after // 60)}, request=request
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def guard_link(view):
    """For a login-free link view: unknown links (404, 410) count against the client address."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        address = client_address(request)
        seconds = wait("link-address", address)
        if seconds:
            return too_many(request, seconds)
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            hit("link-address", address)
            raise
        if response.status_code in (404, 410):
            hit("link-address", address)
        return response

    return wrapper
