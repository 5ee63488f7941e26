"""A thin client of the Telegram Bot API: `POST <base>/bot<token>/<method>`, the `{"ok", "result"}`
envelope, and errors (`{"ok": false, "error_code", "description", "parameters"}`, with the HTTP
status equal to `error_code`) raised as `TelegramError`.

Parameters go form-encoded, or multipart when files are attached (`attach://<name>` points at a
part); nested objects (`reply_markup`, the `media` array, `allowed_updates`) are JSON strings, as
the API expects in a form body. Transport failures stay httpx exceptions so that the connector can
tell "never sent" from "may have been sent" (`connectors.base.transport_outcome`). The token is
part of every URL: nothing this module raises or returns names it.

The helpers below `call` (updates, webhooks, files) are for the bot that talks to people; the
channel connector needs only `call`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from zveno.publishing.clients import http_client

DEFAULT_BASE_URL = "https://api.telegram.org"

# (file name, bytes, content type) per multipart part name
Files = Mapping[str, tuple[str, bytes, str]]


class TelegramError(Exception):
    """An error the Bot API answered: `code` (the HTTP status), its description, and the
    `parameters` it may carry (`retry_after` seconds, `migrate_to_chat_id`)."""

    def __init__(
        self,
        code: int,
        description: str,
        method: str = "",
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"Telegram {code} in {method or 'a call'}: {description}")
        self.code = code
        self.description = description
        self.method = method
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    @property
    def detail(self) -> str:
        return f"{self.method}: {self.code} {self.description}"[:500]


class TelegramHttpError(Exception):
    """An answer that is not the Bot API's envelope (a proxy's 502 page, HTML, nothing)."""

    def __init__(self, status: int, excerpt: str, method: str = "") -> None:
        super().__init__(f"HTTP {status} from {method or 'Telegram'}: {excerpt[:300]}")
        self.status = status
        self.excerpt = excerpt[:300]
        self.method = method


def api_root(base_url: str) -> str:
    """The server's root: "https://api.telegram.org", or a self-hosted Bot API server's."""
    return (base_url or DEFAULT_BASE_URL).rstrip("/")


class TelegramClient:
    """One bot token against one Bot API server; use as a context manager."""

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0):
        self.token = token
        self.base_url = api_root(base_url)
        self.calls = 0
        self._http = http_client(timeout)

    def __enter__(self) -> TelegramClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(
        self, method: str, files: Files | None = None, http_timeout: float | None = None,
        **params: Any,
    ) -> Any:  # fmt: skip
        """The `result` of `method`; raises TelegramError, TelegramHttpError or an httpx error
        (with the token scrubbed from its message)."""
        data = {k: _form_value(v) for k, v in params.items() if v is not None}
        self.calls += 1
        extra = {"timeout": http_timeout} if http_timeout is not None else {}
        try:
            reply = self._http.post(
                f"{self.base_url}/bot{self.token}/{method}",
                data=data,
                files=dict(files) if files else None,
                **extra,
            )
        except httpx.HTTPError as exc:
            raise _scrubbed(exc, self.token) from None
        return _result(reply, method)

    # --- for the bot that talks to people -------------------------------------------------
    def get_updates(
        self, offset: int | None = None, timeout: int = 0, limit: int = 100,
        allowed_updates: Sequence[str] | None = None,
    ) -> list[dict]:  # fmt: skip
        """Long polling: updates from `offset` on (asking with an offset confirms the earlier
        ones); waits up to `timeout` seconds for the first."""
        return self.call(
            "getUpdates", http_timeout=timeout + 10 if timeout else None, offset=offset,
            timeout=timeout, limit=limit, allowed_updates=_opt_list(allowed_updates),
        )  # fmt: skip

    def file_url(self, file_path: str) -> str:
        """Where `getFile`'s `file_path` is downloaded (the URL holds the token: never log it)."""
        return f"{self.base_url}/file/bot{self.token}/{file_path}"

    def download(self, file_path: str) -> bytes:
        try:
            reply = self._http.get(self.file_url(file_path))
        except httpx.HTTPError as exc:
            raise _scrubbed(exc, self.token) from None
        if reply.status_code != 200:
            _result(reply, "file")  # raises with the API's own words
        return reply.content


def _opt_list(values: Sequence[str] | None) -> list[str] | None:
    return list(values) if values is not None else None


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _result(reply: httpx.Response, method: str) -> Any:
    try:
        body = reply.json()
    except ValueError:
        raise TelegramHttpError(reply.status_code, reply.text, method) from None
    if not isinstance(body, dict) or "ok" not in body:
        raise TelegramHttpError(reply.status_code, reply.text, method)
    if body["ok"] is True and reply.status_code < 300:
        return body.get("result")
    parameters = body.get("parameters") or {}
    retry_after = parameters.get("retry_after")
    raise TelegramError(
        int(body.get("error_code") or reply.status_code),
        str(body.get("description") or ""),
        method,
        retry_after=float(retry_after) if retry_after is not None else None,
        migrate_to_chat_id=parameters.get("migrate_to_chat_id"),
    )


def _scrubbed(exc: httpx.HTTPError, token: str) -> httpx.HTTPError:
    """The same kind of transport error, its message without the token."""
    if token and token in str(exc):
        clean = type(exc)(str(exc).replace(token, "<token>"))
        return clean
    return exc
