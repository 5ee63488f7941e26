"""A local MAX Bot API that behaves as APIS.md §3b and the schema (0.0.33) say.

- The bare token in `Authorization` (no "Bearer"); JSON bodies; the object itself as the answer;
  errors as a real status with `{"code", "message"}`; times in milliseconds.
- Channels: `POST /messages?chat_id=` (text ≤ 4000, `notify=false` refused in a channel,
  attachments by upload payload), `PUT` and `DELETE /messages?message_id=`, `GET /messages`
  (newest first, `before`/`after`/`count`, `message_ids`; `stat.views` in channels, growing with the
  fake's clock), `GET /messages/{mid}`, `GET /chats/{id}` (status active|removed|left|…,
  participants_count growing), `GET /chats/{id}/members/me` (is_admin, permissions), `GET /me`.
- Uploads in three steps: `POST /uploads?type=image|video|audio|file` → `{url}` (+ `token` for video
  and audio) → multipart field `data` to that URL → `{"photos": {…}}` or `{"token"}`. A video is
  "processed" after `video_processing` refused attempts (400 `attachment.not.ready`).
- Errors: 401 unknown or revoked token, 403 `chat.denied` (bot removed, no `write`), 404
  `not.found`, 400 `proto.payload`, 429 over 30 requests a second per bot, any error on demand
  (`fail_next`). `limits=False` turns the limit off.
- Counting: `accepted[chat_id]` is the posts the fake accepted; `posts(chat_id)`.
- The bot's side: `user_start(user, payload)` (bot_started), `user_text`, `user_callback`,
  `user_voice`, `user_photo` queue updates; `GET /updates` serves them with a marker (long polling)
  unless a webhook is subscribed (`POST /subscriptions`): then each is POSTed to it at once with
  `X-Max-Bot-Api-Secret` (`deliver` can be replaced). `seen_by(user)` is what a person sees from
  the bot (text and inline keyboard), `press(user, "text")` presses a button; `POST /answers` is
  recorded in `callback_answers`.
"""

from __future__ import annotations

import collections
import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.fakes.server import FakeApi, FakeClock, Request, Response, Window

TEXT_LIMIT = 4000
ALL_PERMISSIONS = ("read_all_messages", "add_remove_members", "add_admins", "change_chat_info",
                   "pin_message", "write", "edit", "delete", "view_stats")  # fmt: skip


class MaxFault(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message


@dataclass
class Bot:
    token: str
    user_id: int
    name: str
    username: str
    revoked: bool = False
    updates: list[dict] = field(default_factory=list)  # not yet committed, each with "_seq"
    subscription: dict | None = None  # {url, secret, update_types}
    delivered: list[dict] = field(default_factory=list)

    def user(self) -> dict:
        return {"user_id": self.user_id, "first_name": self.name, "name": self.name,
                "username": self.username, "is_bot": True}  # fmt: skip


@dataclass
class Chat:
    chat_id: int
    type: str  # "channel" | "chat" | "dialog"
    title: str = ""
    link: str = ""
    participants: int = 0  # at the fake's time zero
    growth: int = 4  # a day
    members: dict[int, dict] = field(default_factory=dict)  # bot id -> {is_admin, permissions}
    status: dict[int, str] = field(default_factory=dict)  # bot id -> active|removed|left
    messages: dict[str, dict] = field(default_factory=dict)  # mid -> message
    user: dict | None = None  # a dialog's person
    bot_id: int | None = None  # a dialog's bot


class FakeMax(FakeClock, FakeApi):
    """The MAX Bot API on loopback. `limits=False`: no 30 requests a second."""

    def __init__(self, limits: bool = True, start: float | None = None) -> None:
        super().__init__()
        self._init_clock(start)
        self.limits = limits
        self.bots: dict[str, Bot] = {}
        self.chats: dict[int, Chat] = {}
        self.accepted: collections.Counter[int] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()  # "VERB /path" -> calls
        self.uploads: dict[str, dict] = {}  # token -> {kind, name, size, content_type, …}
        self.callback_answers: list[dict] = []
        self.video_processing = 0  # refused attempts before an uploaded video can be attached
        self.deliver: Callable[[str, dict, bytes], tuple[int, bytes]] = _deliver_over_http
        self._injected: list[tuple[str | None, MaxFault]] = []
        self._windows: dict[str, Window] = {}
        self._upload_urls: dict[str, dict] = {}
        self._seq = itertools.count(1)
        self._update_seq = itertools.count(1)
        self._callbacks: dict[str, dict] = {}
        self._views: dict[str, int] = {}
        self._arrived = threading.Condition()
        self._outbox: list[tuple[Bot, dict]] = []

    # --- set-up by tests ----------------------------------------------------------------------
    def add_bot(self, token: str, name: str = "Звено", username: str = "zveno_bot",
                user_id: int | None = None) -> Bot:  # fmt: skip
        with self.lock:
            bot = Bot(token, user_id or 800_000 + len(self.bots), name, username)
            self.bots[token] = bot
            return bot

    def add_channel(
        self, chat_id: int, title: str = "Канал", link: str = "", participants: int = 700,
        admins: dict[str, tuple[str, ...]] | None = None, kind: str = "channel",
    ) -> Chat:  # fmt: skip
        """A channel; `admins` maps bot tokens to their permissions."""
        with self.lock:
            chat = Chat(chat_id, kind, title, link, participants)
            self.chats[chat_id] = chat
            for token, permissions in (admins or {}).items():
                self.set_permissions(chat_id, token, *permissions)
            return chat

    def set_permissions(self, chat_id: int, token: str, *permissions: str) -> None:
        """The bot is in the chat (active), an administrator with these permissions (none: a
        plain member)."""
        with self.lock:
            chat, bot = self.chats[chat_id], self.bots[token]
            chat.members[bot.user_id] = {"is_admin": bool(permissions),
                                         "permissions": list(permissions)}  # fmt: skip
            chat.status[bot.user_id] = "active"

    def remove_bot(self, chat_id: int, token: str) -> None:
        """Someone removes the bot: the chat's status for it turns `removed`."""
        with self.lock:
            chat, bot = self.chats[chat_id], self.bots[token]
            chat.members.pop(bot.user_id, None)
            chat.status[bot.user_id] = "removed"

    def revoke(self, token: str) -> None:
        with self.lock:
            self.bots[token].revoked = True

    def fail_next(self, status: int, code: str = "", message: str = "", path: str | None = None,
                  times: int = 1) -> None:  # fmt: skip
        """The next `times` requests (to "VERB /path", or any) answer this error."""
        default = {400: "proto.payload", 401: "verify.token", 403: "chat.denied",
                   404: "not.found", 429: "too.many.requests", 500: "internal.error",
                   503: "service.unavailable"}.get(status, "error")  # fmt: skip
        fault = MaxFault(status, code or default, message or code or default)
        with self.lock:
            self._injected += [(path, fault)] * times

    def participants(self, chat_id: int) -> int:
        chat = self.chats[chat_id]
        days = max(0, int((self.now() - self.start_time) // 86400))
        return chat.participants + chat.growth * days

    def posts(self, chat_id: int) -> list[dict]:
        """The chat's live messages, oldest first."""
        with self.lock:
            return [m for m in self.chats[chat_id].messages.values() if not m.get("_deleted")]

    def post(self, mid: str) -> dict:
        return next(m for c in self.chats.values() for k, m in c.messages.items() if k == mid)

    def add_post(self, chat_id: int, text: str, date: float | None = None) -> dict:
        """A post made in the channel by a person (not through the API)."""
        with self.lock:
            return self._new_message(self.chats[chat_id], {"text": text}, None, date)

    def set_views(self, mid: str, views: int) -> None:
        with self.lock:
            self._views[mid] = views

    def target(self, chat_id: int = -70000000001, token: str | None = None,
               timeout: float = 5.0):  # fmt: skip
        """The connector's Target for a channel of this fake."""
        from zveno.publishing.connectors.base import Target

        token = token or next(iter(self.bots))
        return Target(str(chat_id), {"bot_token": token}, self.url, timeout=timeout)

    # --- a person and the bot -----------------------------------------------------------------
    def _dialog(self, user_id: int, bot: Bot) -> Chat:
        chat_id = 9_000_000_000 + user_id * 1000 + bot.user_id % 1000
        chat = self.chats.get(chat_id)
        if chat is None:
            user = {"user_id": user_id, "first_name": f"User {user_id}", "name": f"User {user_id}",
                    "username": None, "is_bot": False}  # fmt: skip
            chat = Chat(chat_id, "dialog", user=user, bot_id=bot.user_id, participants=2)
            self.chats[chat_id] = chat
        return chat

    def add_user(self, user_id: int, name: str = "Анна", username: str | None = None,
                 token: str | None = None) -> dict:  # fmt: skip
        with self.lock:
            chat = self._dialog(user_id, self._bot(token))
            chat.user = {"user_id": user_id, "first_name": name, "name": name,
                         "username": username, "is_bot": False}  # fmt: skip
            return chat.user

    def user_start(self, user_id: int, payload: str = "", token: str | None = None) -> dict:
        """The person opens max.ru/<bot>?start=<payload> (a `bot_started` update)."""
        bot = self._bot(token)
        with self.lock:
            chat = self._dialog(user_id, bot)
            chat.status[bot.user_id] = "active"
            update = self._push(bot, {"update_type": "bot_started", "chat_id": chat.chat_id,
                                      "user": chat.user, "payload": payload or None,
                                      "user_locale": "ru"})  # fmt: skip
        self._flush()
        return update

    def user_text(self, user_id: int, text: str, token: str | None = None) -> dict:
        return self._user_message(user_id, self._bot(token), {"text": text})

    def user_voice(self, user_id: int, content: bytes = b"OggS" + bytes(200),
                   token: str | None = None) -> dict:  # fmt: skip
        payload = self._stored_file(content, "audio", "audio/ogg")
        attachment = {"type": "audio", "payload": payload, "transcription": None}
        return self._user_message(user_id, self._bot(token), {"attachments": [attachment]})

    def user_photo(self, user_id: int, content: bytes = b"\xff\xd8\xff" + bytes(300),
                   text: str = "", token: str | None = None) -> dict:  # fmt: skip
        payload = self._stored_file(content, "image", "image/jpeg")
        payload["photo_id"] = int(payload["token"][:8], 16)
        body = {"attachments": [{"type": "image", "payload": payload}]}
        if text:
            body["text"] = text
        return self._user_message(user_id, self._bot(token), body)

    def user_callback(self, user_id: int, mid: str, payload: str,
                      token: str | None = None) -> str:  # fmt: skip
        """The person presses a callback button with `payload` under the bot's message `mid`;
        returns the callback id (answered through POST /answers)."""
        bot = self._bot(token)
        with self.lock:
            chat = self._dialog(user_id, bot)
            message = chat.messages[mid]
            callback_id = secrets.token_urlsafe(12)
            self._callbacks[callback_id] = {"user": user_id, "bot": bot.user_id, "mid": mid}
            callback = {"timestamp": self._ms(), "callback_id": callback_id, "payload": payload,
                        "user": chat.user}  # fmt: skip
            self._push(bot, {"update_type": "message_callback", "callback": callback,
                             "message": _public(message), "user_locale": "ru"})  # fmt: skip
        self._flush()
        return callback_id

    def seen_by(self, user_id: int, token: str | None = None) -> list[dict]:
        """What the person sees from the bot, oldest first: mid, text, buttons (rows of
        {type, text, payload|url}), the message."""
        bot = self._bot(token)
        with self.lock:
            chat = self._dialog(user_id, bot)
            shown = []
            for message in chat.messages.values():
                if message.get("_deleted") or (message.get("sender") or {}).get("user_id") != (
                        bot.user_id):  # fmt: skip
                    continue
                body = message["body"]
                rows = next((a["payload"]["buttons"] for a in body.get("attachments") or []
                             if a.get("type") == "inline_keyboard"), [])  # fmt: skip
                shown.append({"mid": body["mid"], "text": body.get("text") or "",
                              "buttons": rows, "message": _public(message)})  # fmt: skip
            return shown

    def press(self, user_id: int, button_text: str, token: str | None = None) -> str:
        for shown in reversed(self.seen_by(user_id, token)):
            for row in shown["buttons"]:
                for button in row:
                    if button.get("text") == button_text and button.get("type") == "callback":
                        return self.user_callback(user_id, shown["mid"], button["payload"],
                                                  token)  # fmt: skip
        raise AssertionError(f"no button {button_text!r} in what user {user_id} sees")

    def pending_updates(self, token: str | None = None) -> list[dict]:
        with self.lock:
            return [_public(u) for u in self._bot(token).updates]

    def deliver_pending(self, token: str | None = None) -> int:
        bot = self._bot(token)
        with self.lock:
            waiting = list(bot.updates)
        for update in waiting:
            self._deliver(bot, update)
        with self.lock:
            return len(bot.updates)

    # --- dispatch -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/upload/"):
            return self._upload(req)
        if req.path.startswith("/files/"):
            return self._file(req)
        route = f"{req.method} {_route(req.path)}"
        try:
            body = req.json() if req.body and req.method in ("POST", "PUT", "PATCH") else {}
        except ValueError:
            return _error(MaxFault(400, "proto.payload", "Invalid JSON"))
        try:
            with self.lock:
                self.calls[route] += 1
                bot = self._auth(req)
                for i, (only, fault) in enumerate(self._injected):
                    if only in (None, route):
                        del self._injected[i]
                        raise fault
                self._rate(bot)
                handler = ROUTES.get(route)
                if handler is None:
                    raise MaxFault(404, "not.found", f"Path {req.path} not found")
                return Response.json(handler(self, bot, req, body))
        except MaxFault as fault:
            return _error(fault)

    def _auth(self, req: Request) -> Bot:
        token = req.header("Authorization")
        bot = self.bots.get(token)
        if bot is None or bot.revoked:
            raise MaxFault(401, "verify.token", "Invalid access_token")
        return bot

    def _bot(self, token: str | None) -> Bot:
        return self.bots[token] if token else next(iter(self.bots.values()))

    def _rate(self, bot: Bot) -> None:
        if not self.limits:
            return
        window = self._windows.setdefault(bot.token, Window(30, 1.0))
        now = self.now()
        if window.wait(now) > 0:
            raise MaxFault(429, "too.many.requests", "Too many requests")
        window.add(now)

    def _ms(self, at: float | None = None) -> int:
        return int((at if at is not None else self.now()) * 1000)

    def _chat(self, raw, bot: Bot, write: bool = False, right: str = "write") -> Chat:
        try:
            chat = self.chats.get(int(str(raw)))
        except ValueError:
            raise MaxFault(400, "proto.payload", "chat_id: not a number") from None
        if chat is None or (chat.type == "dialog" and chat.bot_id != bot.user_id):
            raise MaxFault(404, "chat.not.found", f"Chat {raw} not found")
        status = chat.status.get(bot.user_id)
        if status is None:
            raise MaxFault(404, "chat.not.found", f"Chat {raw} not found")
        if write:
            if status != "active":
                raise MaxFault(403, "chat.denied", "Bot is not a member of the chat")
            member = chat.members.get(bot.user_id, {})
            if chat.type == "channel" and right not in member.get("permissions", []):
                raise MaxFault(403, "chat.denied", f"No {right} permission in the channel")
        return chat

    # --- messages -----------------------------------------------------------------------------
    def _new_message(self, chat: Chat, body: dict, bot: Bot | None,
                     date: float | None = None) -> dict:  # fmt: skip
        mid = f"mid.{secrets.token_hex(8)}{next(self._seq):08x}"
        message = {
            "sender": bot.user() if bot and chat.type != "channel" else (
                None if chat.type == "channel" else chat.user),
            "recipient": {"chat_id": chat.chat_id, "chat_type": chat.type,
                          "user_id": (chat.user or {}).get("user_id")
                          if chat.type == "dialog" else None},
            "timestamp": self._ms(date),
            "body": {"mid": mid, "seq": next(self._seq), "text": body.get("text"),
                     "attachments": body.get("attachments") or None},
            "url": f"https://max.ru/{chat.link}/{mid[4:]}" if chat.link else None,
        }  # fmt: skip
        chat.messages[mid] = message
        return message

    def _attachments(self, raw) -> list[dict] | None:
        if raw is None:
            return None
        if not isinstance(raw, list):
            raise MaxFault(400, "proto.payload", "attachments: must be an array")
        built = []
        for item in raw:
            kind, payload = item.get("type"), item.get("payload") or {}
            if kind == "inline_keyboard":
                if not payload.get("buttons"):
                    raise MaxFault(400, "proto.payload", "buttons: must not be empty")
                built.append({"type": kind, "payload": {"buttons": payload["buttons"]}})
                continue
            tokens = (
                [p.get("token") for p in (payload.get("photos") or {}).values()]
                if kind == "image" and "photos" in payload
                else [payload.get("token")]
            )
            for token in tokens:
                upload = self.uploads.get(token or "")
                if upload is None or upload["kind"] != kind:
                    raise MaxFault(400, "attachment.invalid", f"Invalid {kind} attachment")
                if upload.get("processing", 0) > 0:
                    upload["processing"] -= 1
                    raise MaxFault(
                        400,
                        "attachment.not.ready",
                        "Key: errors.process.attachment.file.not.processed",
                    )
                built.append(
                    {
                        "type": kind,
                        "payload": {
                            "url": f"{self.url}/files/{token}",
                            "token": token,
                            **({"photo_id": int(token[:8], 16)} if kind == "image" else {}),
                        },
                    }
                )
        return built

    def _check_body(self, chat: Chat | None, body: dict) -> None:
        text = body.get("text")
        if text is not None and len(text) > TEXT_LIMIT:
            raise MaxFault(400, "proto.payload", "text: size must be between 0 and 4000")
        if chat is not None and chat.type == "channel" and body.get("notify") is False:
            raise MaxFault(400, "proto.payload", "notify: must be true for channels")

    def r_post_messages(self, bot: Bot, req: Request, body: dict) -> dict:
        if req.query.get("user_id"):
            chat = self._dialog(int(req.query["user_id"]), bot)
            if chat.status.get(bot.user_id) != "active" or chat.user is None:
                raise MaxFault(403, "chat.denied", "Dialog is not available")
        else:
            chat = self._chat(req.query.get("chat_id"), bot, write=True)
        self._check_body(chat, body)
        attachments = self._attachments(body.get("attachments"))
        if not (body.get("text") or attachments):
            raise MaxFault(400, "proto.payload", "text: must not be empty without attachments")
        message = self._new_message(chat, {"text": body.get("text"),
                                           "attachments": attachments}, bot)  # fmt: skip
        self.accepted[chat.chat_id] += 1
        return {"message": _public(message)}

    def _own(self, bot: Bot, mid: str, right: str) -> tuple[Chat, dict]:
        for chat in self.chats.values():
            message = chat.messages.get(mid or "")
            if message is not None and not message.get("_deleted"):
                self._chat(chat.chat_id, bot, write=True, right=right)
                return chat, message
        raise MaxFault(404, "not.found", "Message not found")

    def r_put_messages(self, bot: Bot, req: Request, body: dict) -> dict:
        _chat, message = self._own(bot, req.query.get("message_id", ""), "edit")
        self._check_body(None, body)
        if "text" in body:
            message["body"]["text"] = body["text"]
        if body.get("attachments") is not None:
            message["body"]["attachments"] = self._attachments(body["attachments"]) or None
        message["_edited"] = self._ms()
        return {"success": True}

    def r_delete_messages(self, bot: Bot, req: Request, body: dict) -> dict:
        _chat, message = self._own(bot, req.query.get("message_id", ""), "delete")
        message["_deleted"] = True
        return {"success": True}

    def r_get_messages(self, bot: Bot, req: Request, body: dict) -> dict:
        q = req.query
        wanted = [m for m in (q.get("message_ids") or "").split(",") if m]
        if wanted:
            found = []
            for chat in self.chats.values():
                for mid in wanted:
                    message = chat.messages.get(mid)
                    if message and not message.get("_deleted"):
                        self._chat(chat.chat_id, bot)
                        found.append(self._with_stat(chat, message))
            return {"messages": found}
        if not q.get("chat_id"):
            raise MaxFault(400, "proto.payload", "chat_id or message_ids is required")
        chat = self._chat(q["chat_id"], bot)
        count = int(q.get("count") or 50)
        if not 1 <= count <= 100:
            raise MaxFault(400, "proto.payload", "count: must be between 1 and 100")
        before = int(q["before"]) if q.get("before") else None
        after = int(q["after"]) if q.get("after") else None
        live = sorted((m for m in chat.messages.values() if not m.get("_deleted")),
                      key=lambda m: (-m["timestamp"], -m["body"]["seq"]))  # fmt: skip
        live = [m for m in live if (before is None or m["timestamp"] <= before)
                and (after is None or m["timestamp"] >= after)]  # fmt: skip
        return {"messages": [self._with_stat(chat, m) for m in live[:count]]}

    def _with_stat(self, chat: Chat, message: dict) -> dict:
        shown = _public(message)
        if chat.type == "channel":
            shown["stat"] = {"views": self._views_of(message)}
        return shown

    def _views_of(self, message: dict) -> int:
        mid = message["body"]["mid"]
        if mid in self._views:
            return self._views[mid]
        hours = max(0.0, (self._ms() - message["timestamp"]) / 3_600_000)
        ceiling = 400 + (message["body"]["seq"] * 97) % 900
        return int(ceiling * (1 - 0.5 ** (hours / 24)))

    def r_get_message(self, bot: Bot, req: Request, body: dict) -> dict:
        mid = req.path.rsplit("/", 1)[-1]
        for chat in self.chats.values():
            message = chat.messages.get(mid)
            if message and not message.get("_deleted"):
                self._chat(chat.chat_id, bot)
                return _public(message)
        raise MaxFault(404, "not.found", "Message not found")

    # --- the bot and its chats ----------------------------------------------------------------
    def r_get_me(self, bot: Bot, req: Request, body: dict) -> dict:
        return {**bot.user(), "description": None, "avatar_url": None, "commands": None}

    def r_get_chat(self, bot: Bot, req: Request, body: dict) -> dict:
        chat = self._chat(req.path.split("/")[2], bot)
        return {"chat_id": chat.chat_id, "type": chat.type,
                "status": chat.status.get(bot.user_id, "left"), "title": chat.title or None,
                "icon": None, "last_event_time": self._ms(),
                "participants_count": self.participants(chat.chat_id), "is_public": bool(
                    chat.link), "link": f"https://max.ru/{chat.link}" if chat.link else None,
                "description": None, "messages_count": len(chat.messages)}  # fmt: skip

    def r_get_membership(self, bot: Bot, req: Request, body: dict) -> dict:
        chat = self._chat(req.path.split("/")[2], bot)
        if chat.status.get(bot.user_id) != "active":
            raise MaxFault(403, "chat.denied", "Bot is not a member of the chat")
        member = chat.members.get(bot.user_id, {"is_admin": False, "permissions": None})
        return {**bot.user(), "last_access_time": self._ms(), "is_owner": False,
                "is_admin": member["is_admin"], "join_time": self._ms(self.start_time),
                "permissions": member["permissions"] or None}  # fmt: skip

    # --- uploads ------------------------------------------------------------------------------
    def r_post_uploads(self, bot: Bot, req: Request, body: dict) -> dict:
        kind = req.query.get("type", "")
        if kind == "photo":
            raise MaxFault(400, "proto.payload", "type=photo is no longer supported: use image")
        if kind not in ("image", "video", "audio", "file"):
            raise MaxFault(400, "proto.payload", "type: must be image, video, audio or file")
        key = secrets.token_hex(8)
        answer = {"url": f"{self.url}/upload/{key}?type={kind}"}
        self._upload_urls[key] = {"kind": kind}
        if kind in ("video", "audio"):
            token = secrets.token_urlsafe(24)
            self._upload_urls[key]["token"] = token
            answer["token"] = token
        return answer

    def _upload(self, req: Request) -> Response:
        key = req.path.removeprefix("/upload/")
        with self.lock:
            slot = self._upload_urls.pop(key, None)
        if slot is None or req.method != "POST":
            return _error(MaxFault(400, "upload.invalid", "Upload URL is invalid or used"))
        part = next((p for p in req.parts() if p.name == "data" and p.filename), None)
        if part is None or not part.content:
            return _error(MaxFault(400, "upload.invalid", "Field data with a file is required"))
        kind = slot["kind"]
        token = slot.get("token") or secrets.token_hex(20)
        with self.lock:
            self.uploads[token] = {
                "kind": kind, "name": part.filename, "size": len(part.content),
                "content_type": part.content_type, "content": part.content,
                "processing": self.video_processing if kind == "video" else 0,
            }  # fmt: skip
        if kind == "image":
            return Response.json({"photos": {str(int(token[:8], 16)): {"token": token}}})
        if kind == "file":
            return Response.json({"token": token, "fileId": int(token[:8], 16)})
        return Response.json({"token": token})  # video, audio: the token of step one

    def _stored_file(self, content: bytes, kind: str, content_type: str) -> dict:
        token = secrets.token_hex(20)
        with self.lock:
            self.uploads[token] = {"kind": kind, "name": "", "size": len(content),
                                   "content_type": content_type, "content": content}  # fmt: skip
        return {"url": f"{self.url}/files/{token}", "token": token}

    def _file(self, req: Request) -> Response:
        upload = self.uploads.get(req.path.removeprefix("/files/"))
        if upload is None:
            return _error(MaxFault(404, "not.found", "File not found"))
        return Response(200, upload["content"], {"Content-Type": upload["content_type"]})

    # --- callbacks, subscriptions and updates -------------------------------------------------
    def r_post_answers(self, bot: Bot, req: Request, body: dict) -> dict:
        callback = self._callbacks.pop(req.query.get("callback_id", ""), None)
        if callback is None or callback["bot"] != bot.user_id:
            raise MaxFault(400, "proto.payload", "callback_id: invalid or expired")
        answer = {"user": callback["user"], "notification": body.get("notification")}
        if body.get("message"):
            chat = self._dialog(callback["user"], bot)
            message = chat.messages[callback["mid"]]
            message["body"]["text"] = body["message"].get("text")
            message["body"]["attachments"] = self._attachments(
                body["message"].get("attachments")) or None  # fmt: skip
            answer["message"] = body["message"]
        self.callback_answers.append(answer)
        return {"success": True}

    def r_post_subscriptions(self, bot: Bot, req: Request, body: dict) -> dict:
        url, secret = str(body.get("url") or ""), body.get("secret")
        if not url.startswith("https://"):
            raise MaxFault(400, "proto.payload", "url: must start with https://")
        if secret is not None and not re.fullmatch(r"[\w-]{5,256}", str(secret)):
            raise MaxFault(400, "proto.payload", "secret: 5-256 characters A-Z, a-z, 0-9, _, -")
        bot.subscription = {"url": url, "secret": secret or "",
                            "update_types": body.get("update_types") or None,
                            "time": self._ms()}  # fmt: skip
        return {"success": True}

    def r_get_subscriptions(self, bot: Bot, req: Request, body: dict) -> dict:
        sub = bot.subscription
        return {
            "subscriptions": []
            if not sub
            else [{"url": sub["url"], "time": sub["time"], "update_types": sub["update_types"]}]
        }

    def r_delete_subscriptions(self, bot: Bot, req: Request, body: dict) -> dict:
        if bot.subscription and bot.subscription["url"] == req.query.get("url"):
            bot.subscription = None
            return {"success": True}
        return {"success": False, "message": "Subscription not found"}

    def r_get_updates(self, bot: Bot, req: Request, body: dict) -> dict:
        if bot.subscription:
            raise MaxFault(
                405,
                "method.not.allowed",
                "Long polling is not available while a webhook is subscribed",
            )
        q = req.query
        marker = int(q["marker"]) if q.get("marker") not in (None, "", "null") else None
        if marker is not None:
            bot.updates = [u for u in bot.updates if u["_seq"] >= marker]
        limit = max(1, min(1000, int(q.get("limit") or 100)))
        types = {t for t in (q.get("types") or "").split(",") if t}
        ready = self._ready(bot, types, limit)
        timeout = min(float(q.get("timeout") or 0), 90.0)
        if not ready and timeout > 0:
            self.lock.release()
            try:
                with self._arrived:
                    self._arrived.wait(timeout)
            finally:
                self.lock.acquire()
            ready = self._ready(bot, types, limit)
        next_marker = (ready[-1]["_seq"] + 1) if ready else (marker or next(
            self._update_seq))  # fmt: skip
        return {"updates": [_public(u) for u in ready], "marker": next_marker}

    @staticmethod
    def _ready(bot: Bot, types: set[str], limit: int) -> list[dict]:
        return [u for u in bot.updates if not types or u["update_type"] in types][:limit]

    def _user_message(self, user_id: int, bot: Bot, body: dict) -> dict:
        with self.lock:
            chat = self._dialog(user_id, bot)
            chat.status[bot.user_id] = "active"  # writing to a bot opens the dialog
            message = self._new_message(chat, body, None)
            update = self._push(
                bot,
                {
                    "update_type": "message_created",
                    "message": _public(message),
                    "user_locale": "ru",
                },
            )
        self._flush()
        return update

    def _push(self, bot: Bot, body: dict) -> dict:
        update = {**body, "timestamp": self._ms(), "_seq": next(self._update_seq)}
        sub = bot.subscription
        if sub and sub["update_types"] and update["update_type"] not in sub["update_types"]:
            return _public(update)
        bot.updates.append(update)
        with self._arrived:
            self._arrived.notify_all()
        if sub:
            self._outbox.append((bot, update))
        return _public(update)

    def _flush(self) -> None:
        while True:
            with self.lock:
                if not self._outbox:
                    return
                bot, update = self._outbox.pop(0)
            self._deliver(bot, update)

    def _deliver(self, bot: Bot, update: dict) -> None:
        sub = bot.subscription
        if not sub:
            return
        headers = {"Content-Type": "application/json"}
        if sub["secret"]:
            headers["X-Max-Bot-Api-Secret"] = sub["secret"]
        body = json.dumps(_public(update), ensure_ascii=False).encode()
        try:
            status, _answer = self.deliver(sub["url"], headers, body)
        except httpx.HTTPError:
            status = 0
        with self.lock:
            bot.delivered.append({"update": _public(update), "status": status})
            if status == 200 and update in bot.updates:
                bot.updates.remove(update)


ROUTES = {
    "GET /me": FakeMax.r_get_me,
    "GET /chats/{id}": FakeMax.r_get_chat,
    "GET /chats/{id}/members/me": FakeMax.r_get_membership,
    "POST /messages": FakeMax.r_post_messages,
    "PUT /messages": FakeMax.r_put_messages,
    "DELETE /messages": FakeMax.r_delete_messages,
    "GET /messages": FakeMax.r_get_messages,
    "GET /messages/{id}": FakeMax.r_get_message,
    "POST /uploads": FakeMax.r_post_uploads,
    "POST /answers": FakeMax.r_post_answers,
    "POST /subscriptions": FakeMax.r_post_subscriptions,
    "GET /subscriptions": FakeMax.r_get_subscriptions,
    "DELETE /subscriptions": FakeMax.r_delete_subscriptions,
    "GET /updates": FakeMax.r_get_updates,
}


def _route(path: str) -> str:
    """ "/chats/-123/members/me" → "/chats/{id}/members/me"."""
    return re.sub(r"^/(chats|messages)/[^/]+", r"/\1/{id}", path.rstrip("/") or "/")


def _public(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _error(fault: MaxFault) -> Response:
    return Response.json({"code": fault.code, "message": fault.message}, fault.status)


def _deliver_over_http(url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    reply = httpx.post(url, content=body, headers=headers, timeout=10)
    return reply.status_code, reply.content
