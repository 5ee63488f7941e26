"""A thin client of the VK API (v5.199): form-encoded calls, the `{"response": …}` envelope, and
errors that come back with HTTP 200 as `{"error": {"error_code", "error_msg"}}` raised as `VkError`.

Transport failures stay httpx exceptions so that the connector can tell "never sent" from "may have
been sent" (`connectors.base.transport_outcome`). Consecutive calls of one client are paced to the
network's 3 requests a second per user token, so a post with ten photos does not trip error 6 by
itself; the limit shared between workers is the scheduler's business.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from zveno.publishing.clients import http_client

API_VERSION = "5.199"
DEFAULT_BASE_URL = "https://api.vk.com/method"
MIN_INTERVAL = 0.34  # seconds between two calls of one client: just under 3 a second


class VkError(Exception):
    """An error the API answered in its envelope: `code` from `errors.json`, VK's own message."""

    def __init__(self, code: int, message: str, method: str = "") -> None:
        super().__init__(f"VK error {code} in {method or 'a call'}: {message}")
        self.code = code
        self.message = message
        self.method = method

    @property
    def detail(self) -> str:
        return f"{self.method}: {self.code} {self.message}"[:500]


class VkHttpError(Exception):
    """The API (or an upload server) answered with an HTTP status other than 200 or no JSON."""

    def __init__(self, status: int, excerpt: str, method: str = "") -> None:
        super().__init__(f"HTTP {status} from {method or 'VK'}: {excerpt}")
        self.status = status
        self.excerpt = excerpt[:300]
        self.method = method


def method_url(base_url: str, method: str) -> str:
    """`base_url` may be the host ("https://api.vk.com") or the method root (".../method")."""
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    if not base.endswith("/method"):
        base += "/method"
    return f"{base}/{method}"


class VkClient:
    """One user token against one API base URL; use as a context manager."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        self.token = token
        self.base_url = base_url or DEFAULT_BASE_URL
        self.min_interval = min_interval
        self.calls = 0  # API calls made (uploads not counted), for the collection's figures
        self._last = 0.0
        self._http = http_client(timeout)

    def __enter__(self) -> VkClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _pace(self) -> None:
        # Counted from the previous answer, not the previous send, so that two requests never
        # reach the server closer together than the interval, however slow the way there.
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def call(self, method: str, **params: Any) -> Any:
        """The `response` of `method`; raises VkError, VkHttpError or an httpx error."""
        data = {k: _form_value(v) for k, v in params.items() if v is not None}
        data["v"] = API_VERSION
        self._pace()
        self.calls += 1
        try:
            reply = self._http.post(
                method_url(self.base_url, method),
                data=data,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        finally:
            self._last = time.monotonic()
        body = _json(reply, method)
        if isinstance(body, dict) and "error" in body:
            error = body["error"] or {}
            raise VkError(int(error.get("error_code", 0)), str(error.get("error_msg", "")), method)
        if not isinstance(body, dict) or "response" not in body:
            raise VkHttpError(reply.status_code, reply.text, method)
        return body["response"]

    def upload(self, url: str, field: str, name: str, content: bytes, content_type: str) -> dict:
        """POST one file to an upload server; its answer is raw JSON with no envelope."""
        reply = self._http.post(url, files={field: (name, content, content_type)})
        body = _json(reply, "upload")
        if isinstance(body, dict) and "error" in body:
            # Upload servers answer {"error": "…"} (a string) for a file they refuse.
            raise VkError(129, str(body["error"]), "upload")
        if not isinstance(body, dict):
            raise VkHttpError(reply.status_code, reply.text, "upload")
        return body


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _json(reply: httpx.Response, method: str) -> Any:
    if reply.status_code != 200:
        raise VkHttpError(reply.status_code, reply.text, method)
    try:
        return reply.json()
    except ValueError:
        raise VkHttpError(reply.status_code, reply.text, method) from None


# --- VK ID: a user token through OAuth 2.1 with PKCE -----------------------------------------


class VkIdError(Exception):
    """VK ID refused the code (or answered nothing usable): `error` and its description."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"VK ID: {error} {description}".strip())
        self.error = error
        self.description = description


def exchange_code(
    id_url: str,
    *,
    client_id: str,
    code: str,
    code_verifier: str,
    device_id: str,
    redirect_uri: str,
    state: str,
    timeout: float = 30.0,
) -> dict:
    """Trades the authorisation code for tokens at `<id_url>/oauth2/auth`: access_token,
    refresh_token, expires_in, user_id, scope. Raises VkIdError or an httpx error."""
    form = {
        "grant_type": "authorization_code", "code": code, "code_verifier": code_verifier,
        "client_id": client_id, "device_id": device_id, "redirect_uri": redirect_uri,
        "state": state,
    }  # fmt: skip
    return _vk_id_call(id_url, form, timeout)


def refresh_access_token(
    id_url: str, *, client_id: str, refresh_token: str, device_id: str, state: str,
    timeout: float = 30.0,
) -> dict:  # fmt: skip
    """A new access token (VK ID's live an hour) for the refresh token; same answer's shape."""
    form = {
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id,
        "device_id": device_id, "state": state,
    }  # fmt: skip
    return _vk_id_call(id_url, form, timeout)


def _vk_id_call(id_url: str, form: dict, timeout: float) -> dict:
    reply = httpx.post(f"{id_url.rstrip('/')}/oauth2/auth", data=form, timeout=timeout)
    try:
        body = reply.json()
    except ValueError:
        raise VkIdError(f"http_{reply.status_code}", reply.text[:200]) from None
    if not isinstance(body, dict) or "error" in body or not body.get("access_token"):
        body = body if isinstance(body, dict) else {}
        raise VkIdError(str(body.get("error", "no_token")), str(body.get("error_description", "")))
    if form.get("state") and body.get("state") not in (None, form["state"]):
        raise VkIdError("state_mismatch", "the answer belongs to another sign-in")
    return body
