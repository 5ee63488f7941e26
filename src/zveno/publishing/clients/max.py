"""A thin client of the MAX Bot API (schema 0.0.33): JSON over HTTPS, the bare token in the
`Authorization` header (no "Bearer"), the object itself as the answer (no envelope), and errors as
a real HTTP status with `{"code": "<error key>", "message": "<text>"}`, raised as `MaxError`.

Media go in three steps: `POST /uploads?type=…` gives an upload URL (and, for video and audio, the
token to attach); the file is POSTed there as multipart field `data`; the answer (`{"photos": …}`
for images, `{"token": …}` otherwise) becomes an attachment's payload. Transport failures stay
httpx exceptions so that the connector can tell "never sent" from "may have been sent".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from zveno.publishing.clients import http_client

DEFAULT_BASE_URL = "https://platform-api.max.ru"


class MaxError(Exception):
    """An error the API answered: the HTTP status, MAX's error key and its words; `retry_after`
    when a 429 came with a `Retry-After` header."""

    def __init__(
        self, status: int, code: str, message: str, method: str = "",
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(f"MAX {status} {code} in {method or 'a call'}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.retry_after = retry_after

    @property
    def detail(self) -> str:
        return f"{self.method}: {self.status} {self.code} {self.message}"[:500]


class MaxHttpError(Exception):
    """An answer that is not JSON (a proxy's error page, nothing)."""

    def __init__(self, status: int, excerpt: str, method: str = "") -> None:
        super().__init__(f"HTTP {status} from {method or 'MAX'}: {excerpt[:300]}")
        self.status = status
        self.excerpt = excerpt[:300]
        self.method = method


class MaxClient:
    """One bot token against one API base URL; use as a context manager."""

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0):
        self.token = token
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.calls = 0
        self._http = http_client(timeout)

    def __enter__(self) -> MaxClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self, verb: str, path: str, params: Mapping[str, Any] | None = None,
        body: Any = None, http_timeout: float | None = None,
    ) -> Any:  # fmt: skip
        """The answer's JSON; raises MaxError, MaxHttpError or an httpx error."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        extra = {"timeout": http_timeout} if http_timeout is not None else {}
        if body is not None:
            extra["json"] = body
        self.calls += 1
        reply = self._http.request(
            verb, f"{self.base_url}{path}", params=query,
            headers={"Authorization": self.token}, **extra,
        )  # fmt: skip
        return _answer(reply, f"{verb} {path}")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params)

    def upload(self, kind: str, name: str, content: bytes, content_type: str) -> dict:
        """The three steps' first two: the upload URL for `kind` (image, video, audio, file),
        then the file as field `data`. Returns the payload to attach: the upload's answer, with
        the token of step one where the upload itself gives none (video, audio)."""
        endpoint = self.request("POST", "/uploads", {"type": kind})
        reply = self._http.post(endpoint["url"], files={"data": (name, content, content_type)})
        uploaded = _answer(reply, "upload")
        payload = dict(uploaded) if isinstance(uploaded, dict) else {}
        if endpoint.get("token") and not payload.get("token") and "photos" not in payload:
            payload["token"] = endpoint["token"]
        if not payload:
            raise MaxHttpError(reply.status_code, reply.text, "upload")
        return payload

    # --- for the bot that talks to people -------------------------------------------------
    def get_updates(
        self, marker: int | None = None, timeout: int = 0, limit: int = 100,
        types: Sequence[str] | None = None,
    ) -> dict:  # fmt: skip
        """Long polling: `{"updates": […], "marker": next}`; passing a marker commits the
        updates before it."""
        return self.request(
            "GET", "/updates",
            {"marker": marker, "timeout": timeout, "limit": limit,
             "types": ",".join(types) if types else None},
            http_timeout=timeout + 10 if timeout else None,
        )  # fmt: skip


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _answer(reply: httpx.Response, method: str) -> Any:
    try:
        body = reply.json()
    except ValueError:
        raise MaxHttpError(reply.status_code, reply.text, method) from None
    if reply.status_code == 200:
        return body
    body = body if isinstance(body, dict) else {}
    retry_after = reply.headers.get("Retry-After")
    raise MaxError(
        reply.status_code, str(body.get("code") or body.get("error") or ""),
        str(body.get("message") or ""), method,
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )  # fmt: skip
