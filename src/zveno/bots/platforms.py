"""One interface for the messengers the bot talks through (Telegram, MAX; a third is one more
class): send a message with buttons, answer a button press, read updates, fetch a file, switch
between long polling and a webhook. Each class turns its network's updates into ``Incoming``.

Errors: a person who blocked the bot raises ``notifications.messengers.Blocked``; anything else
stays the client's own exception (a retry decides).
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings

from zveno.core.addresses import is_public
from zveno.notifications.messengers import Blocked
from zveno.publishing.clients import http_client
from zveno.publishing.clients.max import MaxClient, MaxError
from zveno.publishing.clients.telegram import TelegramClient, TelegramError

# Telegram sends only what a bot asks for: people's messages and button presses, and from the
# channels it administers their posts made by hand and reaction counts (read into analytics).
UPDATES = ["message", "callback_query", "channel_post", "message_reaction_count"]


@dataclass(frozen=True)
class Button:
    text: str
    data: str = ""  # a callback's payload (≤ 64 bytes)
    url: str = ""


@dataclass(frozen=True)
class FileRef:
    ref: str  # the network's file id or URL
    kind: str  # voice, photo, video, document
    name: str
    mime: str = ""


@dataclass
class Incoming:
    """One update, as the bot's logic reads it."""

    messenger: str
    update_id: str  # unique per messenger: processed once
    chat_id: str  # where to answer; the person's account
    name: str = ""
    username: str = ""
    text: str = ""
    command: str = ""  # "start", "stop", … without the slash
    payload: str = ""  # /start's argument (a link token)
    callback_id: str = ""
    callback_data: str = ""
    message_id: str = ""  # the message a button sits under
    files: list[FileRef] = field(default_factory=list)
    contents: list[bytes] = field(default_factory=list)  # the files, fetched before handling


class Platform:
    name = ""
    secret_header = ""  # the header a webhook request carries the secret in

    def __init__(self, token: str, base_url: str) -> None:
        self.token, self.base_url = token, base_url

    def username(self) -> str:  # the bot's public name, for deep links
        raise NotImplementedError

    def deep_link(self, token: str) -> str:
        raise NotImplementedError

    def send(self, chat_id: str, text: str, buttons: list[list[Button]] = ()) -> str:
        raise NotImplementedError

    def send_photo(self, chat_id: str, name: str, content: bytes, mime: str, caption: str) -> str:
        raise NotImplementedError

    def answer(self, incoming: Incoming, text: str) -> None:
        raise NotImplementedError

    def updates(self, offset: str, timeout: int) -> tuple[list[dict], str]:
        raise NotImplementedError

    def parse(self, raw: dict) -> Incoming | None:
        raise NotImplementedError

    def fetch(self, file: FileRef) -> bytes:
        raise NotImplementedError

    def set_webhook(self, url: str, secret: str) -> None:
        raise NotImplementedError

    def delete_webhook(self) -> None:
        raise NotImplementedError


def _tg_markup(buttons) -> dict | None:
    if not buttons:
        return None
    rows = [
        [{"text": b.text, **({"url": b.url} if b.url else {"callback_data": b.data})} for b in row]
        for row in buttons
    ]
    return {"inline_keyboard": rows}


class Telegram(Platform):
    name = "telegram"
    secret_header = "X-Telegram-Bot-Api-Secret-Token"

    def _client(self, timeout: float = 30.0) -> TelegramClient:
        return TelegramClient(self.token, self.base_url, timeout=timeout)

    def _call(self, method: str, **params):
        with self._client() as client:
            try:
                return client.call(method, **params)
            except TelegramError as exc:
                if exc.code == 403:
                    raise Blocked(exc.description) from exc
                raise

    def username(self) -> str:
        return _telegram_username(self.token, self.base_url)

    def deep_link(self, token: str) -> str:
        return f"https://t.me/{self.username()}?start={token}"

    def send(self, chat_id: str, text: str, buttons=()) -> str:
        sent = self._call(
            "sendMessage", chat_id=chat_id, text=text[:4096], parse_mode="HTML",
            reply_markup=_tg_markup(buttons), link_preview_options={"is_disabled": True},
        )  # fmt: skip
        return str(sent["message_id"])

    def send_photo(self, chat_id: str, name: str, content: bytes, mime: str, caption: str) -> str:
        with self._client(60) as client:
            try:
                sent = client.call(
                    "sendPhoto", files={"photo": (name, content, mime)}, chat_id=chat_id,
                    caption=caption[:1024], parse_mode="HTML",
                )  # fmt: skip
            except TelegramError as exc:
                if exc.code == 403:
                    raise Blocked(exc.description) from exc
                raise
        return str(sent["message_id"])

    def answer(self, incoming: Incoming, text: str) -> None:
        self._call("answerCallbackQuery", callback_query_id=incoming.callback_id, text=text[:200])
        if incoming.message_id:  # the buttons under a decided card go away
            # already without buttons, or too old: nothing to clean
            with contextlib.suppress(TelegramError):
                self._call(
                    "editMessageReplyMarkup", chat_id=incoming.chat_id,
                    message_id=incoming.message_id, reply_markup={"inline_keyboard": []},
                )  # fmt: skip

    def updates(self, offset: str, timeout: int) -> tuple[list[dict], str]:
        with self._client(timeout + 15) as client:
            found = client.get_updates(
                offset=int(offset) if offset else None, timeout=timeout,
                allowed_updates=UPDATES,
            )  # fmt: skip
        last = max((u["update_id"] for u in found), default=None)
        return found, str(last + 1) if last is not None else offset

    def parse(self, raw: dict) -> Incoming | None:
        update_id = str(raw.get("update_id", ""))
        if "callback_query" in raw:
            query = raw["callback_query"]
            message = query.get("message") or {}
            person = query.get("from") or {}
            return Incoming(
                self.name, update_id, str((message.get("chat") or {}).get("id") or person["id"]),
                name=person.get("first_name", ""), username=person.get("username", ""),
                callback_id=str(query["id"]), callback_data=query.get("data") or "",
                message_id=str(message.get("message_id") or ""),
            )  # fmt: skip
        message = raw.get("message")
        if not message or (message.get("chat") or {}).get("type") != "private":
            return None
        person = message.get("from") or {}
        found = Incoming(
            self.name, update_id, str(message["chat"]["id"]),
            name=person.get("first_name", ""), username=person.get("username", ""),
            text=message.get("text") or message.get("caption") or "",
        )  # fmt: skip
        if found.text.startswith("/"):
            head, _sep, rest = found.text.partition(" ")
            found.command = head[1:].split("@", 1)[0].lower()
            found.payload = rest.strip()
        if message.get("voice"):
            voice = message["voice"]
            found.files.append(FileRef(voice["file_id"], "voice", "voice.ogg", "audio/ogg"))
        if message.get("photo"):
            biggest = message["photo"][-1]
            found.files.append(FileRef(biggest["file_id"], "photo", "photo.jpg", "image/jpeg"))
        for kind in ("video", "document", "audio", "video_note"):
            if message.get(kind):
                obj = message[kind]
                name = obj.get("file_name") or f"{kind}.{'mp4' if 'video' in kind else 'bin'}"
                found.files.append(FileRef(obj["file_id"], kind, name, obj.get("mime_type", "")))
        return found

    def fetch(self, file: FileRef) -> bytes:
        with self._client(60) as client:
            info = client.call("getFile", file_id=file.ref)
            return client.download(info["file_path"])

    def set_webhook(self, url: str, secret: str) -> None:
        self._call("setWebhook", url=url, secret_token=secret,
                   allowed_updates=UPDATES)  # fmt: skip

    def delete_webhook(self) -> None:
        self._call("deleteWebhook")


@cache
def _telegram_username(token: str, base_url: str) -> str:
    with TelegramClient(token, base_url, timeout=15) as client:
        return client.call("getMe")["username"]


def _max_keyboard(buttons) -> list[dict]:
    if not buttons:
        return []
    rows = [
        [
            {"type": "link", "text": b.text, "url": b.url}
            if b.url
            else {"type": "callback", "text": b.text, "payload": b.data}
            for b in row
        ]
        for row in buttons
    ]
    return [{"type": "inline_keyboard", "payload": {"buttons": rows}}]


class Max(Platform):
    name = "max"
    secret_header = "X-Max-Bot-Api-Secret"

    def _request(self, verb: str, path: str, params=None, body=None, timeout: float = 30.0):
        with MaxClient(self.token, self.base_url, timeout=timeout) as client:
            try:
                return client.request(verb, path, params, body)
            except MaxError as exc:
                if exc.status == 403 and exc.code == "chat.denied":
                    raise Blocked(exc.message) from exc
                raise

    def username(self) -> str:
        return _max_username(self.token, self.base_url)

    def deep_link(self, token: str) -> str:
        return f"https://max.ru/{self.username()}?start={token}"

    def send(self, chat_id: str, text: str, buttons=()) -> str:
        body = {"text": text[:4000], "format": "html", "attachments": _max_keyboard(buttons)}
        sent = self._request("POST", "/messages", {"user_id": chat_id}, body)
        return str(sent["message"]["body"]["mid"])

    def send_photo(self, chat_id: str, name: str, content: bytes, mime: str, caption: str) -> str:
        with MaxClient(self.token, self.base_url, timeout=60) as client:
            payload = client.upload("image", name, content, mime)
        body = {"text": caption[:4000], "format": "html",
                "attachments": [{"type": "image", "payload": payload}]}  # fmt: skip
        sent = self._request("POST", "/messages", {"user_id": chat_id}, body)
        return str(sent["message"]["body"]["mid"])

    def answer(self, incoming: Incoming, text: str) -> None:
        self._request("POST", "/answers", {"callback_id": incoming.callback_id},
                      {"notification": text[:200]})  # fmt: skip

    def updates(self, offset: str, timeout: int) -> tuple[list[dict], str]:
        with MaxClient(self.token, self.base_url, timeout=timeout + 15) as client:
            found = client.get_updates(
                marker=int(offset) if offset else None, timeout=timeout,
                types=["message_created", "message_callback", "bot_started"],
            )  # fmt: skip
        marker = found.get("marker")
        return found.get("updates") or [], str(marker) if marker is not None else offset

    def parse(self, raw: dict) -> Incoming | None:
        kind, stamp = raw.get("update_type"), raw.get("timestamp")
        if kind == "bot_started":
            person = raw.get("user") or {}
            return Incoming(
                self.name, f"start:{person.get('user_id')}:{stamp}", str(person["user_id"]),
                name=person.get("first_name") or person.get("name") or "",
                username=person.get("username") or "", command="start",
                payload=raw.get("payload") or "",
            )  # fmt: skip
        if kind == "message_callback":
            callback = raw.get("callback") or {}
            person = callback.get("user") or {}
            message = raw.get("message") or {}
            return Incoming(
                self.name, f"cb:{callback.get('callback_id')}", str(person["user_id"]),
                name=person.get("first_name") or "", username=person.get("username") or "",
                callback_id=str(callback.get("callback_id")),
                callback_data=callback.get("payload") or "",
                message_id=str((message.get("body") or {}).get("mid") or ""),
            )  # fmt: skip
        if kind != "message_created":
            return None
        message = raw.get("message") or {}
        if (message.get("recipient") or {}).get("chat_type") != "dialog":
            return None
        person = message.get("sender") or {}
        body = message.get("body") or {}
        found = Incoming(
            self.name, f"msg:{body.get('mid')}", str(person["user_id"]),
            name=person.get("first_name") or "", username=person.get("username") or "",
            text=body.get("text") or "",
        )  # fmt: skip
        if found.text.startswith("/"):
            head, _sep, rest = found.text.partition(" ")
            found.command, found.payload = head[1:].lower(), rest.strip()
        names = {"audio": ("voice", "voice.ogg"), "image": ("photo", "photo.jpg"),
                 "video": ("video", "video.mp4"), "file": ("document", "file")}  # fmt: skip
        for attachment in body.get("attachments") or []:
            kind_name = names.get(attachment.get("type"))
            payload = attachment.get("payload") or {}
            if kind_name and payload.get("url"):
                name = attachment.get("filename") or kind_name[1]
                found.files.append(FileRef(payload["url"], kind_name[0], name))
        return found

    def fetch(self, file: FileRef) -> bytes:
        with http_client(60) as http:
            reply = http.get(file.ref)
        reply.raise_for_status()
        return reply.content

    def set_webhook(self, url: str, secret: str) -> None:
        self._request("POST", "/subscriptions", body={
            "url": url, "secret": secret,
            "update_types": ["message_created", "message_callback", "bot_started"],
        })  # fmt: skip

    def delete_webhook(self) -> None:
        self._request("DELETE", "/subscriptions")


@cache
def _max_username(token: str, base_url: str) -> str:
    with MaxClient(token, base_url, timeout=15) as client:
        me = client.get("/me")
    return me.get("username") or str(me.get("user_id"))


def configured() -> dict[str, Platform]:
    """The messengers whose bot token is set, by name."""
    found: dict[str, Platform] = {}
    if settings.ZVENO_TELEGRAM_BOT_TOKEN:
        found["telegram"] = Telegram(
            settings.ZVENO_TELEGRAM_BOT_TOKEN, settings.ZVENO_TELEGRAM_API_URL
        )
    if settings.ZVENO_MAX_BOT_TOKEN:
        found["max"] = Max(settings.ZVENO_MAX_BOT_TOKEN, settings.ZVENO_MAX_API_URL)
    return found


def webhook_mode() -> bool:
    """A webhook when asked (ZVENO_BOT_MODE), or (auto) when the base URL is public HTTPS."""
    mode = settings.ZVENO_BOT_MODE
    if mode in {"polling", "webhook"}:
        return mode == "webhook"
    return is_public(settings.BASE_URL)


def platform(messenger: str) -> Platform | None:
    return configured().get(messenger)


def escape(text: str) -> str:
    return html.escape(text or "", quote=False)
