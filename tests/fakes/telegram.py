"""A local Telegram Bot API that behaves as APIS.md §1 says.

- `POST|GET /bot<token>/<method>` (method names case-insensitive), parameters as a query string,
  a form, JSON or multipart (files in parts, `attach://<part>`); files at `/file/bot<token>/<path>`.
- `{"ok": true, "result": …}`, errors `{"ok": false, "error_code", "description"[, "parameters"]}`
  with the HTTP status equal to `error_code` (faults of `server.FakeApi` aside).
- Channels: sendMessage, sendPhoto, sendVideo, sendDocument, sendMediaGroup (2–10, one album id),
  editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage (48 h), deleteMessages,
  getMe, getChat, getChatMember, getChatMemberCount (grows with the fake's clock).
- Errors: 401 unknown or revoked token, 403 bot kicked or not a member, 400 chat not found, need
  administrator rights, message/caption too long, message to edit/delete not found, not modified,
  can't be deleted; 429 over 20 posts a minute per channel or 30 a second per bot, with
  `parameters.retry_after`; any error on demand (`fail_next`). `limits=False` turns limits off.
- Counting: `accepted[chat_id]` is the posts the fake accepted (an album is one); `messages()`.
- The bot's side, for tests of a bot that talks to people: `user_start(user, payload)`,
  `user_text`, `user_callback`, `user_voice`, `user_photo` queue updates; `getUpdates` serves them
  with offsets (long polling) unless a webhook is set (`setWebhook`), in which case each update is
  POSTed to it at once with `X-Telegram-Bot-Api-Secret-Token` (`deliver` can be replaced, e.g. by
  a Django test client). What a user sees is `seen_by(user)`: the bot's messages with their
  inline keyboards; `press(user, "button text")` answers one. Channel reactions (`react`) and
  posts made by hand (`add_channel_post`) arrive as updates too.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import itertools
import json
import math
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.fakes.server import FakeApi, FakeClock, Part, Request, Response, Window

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SENDS = {"sendmessage", "sendphoto", "sendvideo", "senddocument", "sendmediagroup", "sendvoice"}
DEFAULT_UPDATES = {"message", "edited_message", "channel_post", "edited_channel_post",
                   "callback_query", "my_chat_member"}  # fmt: skip
ADMIN_RIGHTS = {"can_post_messages": True, "can_edit_messages": True,
                "can_delete_messages": True}  # fmt: skip


class TgFault(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        self.code, self.description, self.retry_after = code, description, retry_after


def bad(description: str) -> TgFault:
    return TgFault(400, f"Bad Request: {description}")


@dataclass
class Bot:
    token: str
    id: int
    username: str
    first_name: str
    revoked: bool = False
    updates: list[dict] = field(default_factory=list)  # not yet confirmed
    allowed_updates: set[str] = field(default_factory=lambda: set(DEFAULT_UPDATES))
    webhook: dict | None = None  # {url, secret_token}
    delivered: list[dict] = field(default_factory=list)  # webhook deliveries: update, status

    def user(self) -> dict:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name,
                "username": self.username}  # fmt: skip


@dataclass
class Chat:
    id: int
    type: str  # "channel" | "supergroup" | "private"
    title: str = ""
    username: str = ""
    members: int = 0  # at the fake's time zero
    growth: int = 3  # members a day
    rights: dict[int, dict] = field(default_factory=dict)  # bot id -> administrator rights
    kicked: set[int] = field(default_factory=set)  # bot ids removed from the chat
    messages: dict[int, dict] = field(default_factory=dict)
    next_id: int = 1
    user: dict | None = None  # a private chat's person
    started: set[int] = field(default_factory=set)  # bots the person has started
    blocked: set[int] = field(default_factory=set)  # bots the person has blocked

    def public(self) -> dict:
        chat = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user:
            chat.update({k: v for k, v in self.user.items() if k in ("first_name", "username")})
        else:
            chat["title"] = self.title
            if self.username:
                chat["username"] = self.username
        return chat


class FakeTelegram(FakeClock, FakeApi):
    """The Bot API on loopback. `limits=False`: no 20 a minute per channel, no 30 a second."""

    def __init__(self, limits: bool = True, start: float | None = None) -> None:
        super().__init__()
        self._init_clock(start)
        self.limits = limits
        self.bots: dict[str, Bot] = {}
        self.chats: dict[int, Chat] = {}
        self.accepted: collections.Counter[int] = collections.Counter()  # posts per chat
        self.calls: collections.Counter[str] = collections.Counter()  # method (lower) -> calls
        self.uploads: list[dict] = []  # files the bots sent: name, size, content_type, kind
        self.files: dict[str, dict] = {}  # file_id -> {file_path, content, …}
        self.callback_answers: list[dict] = []
        self.deliver: Callable[[str, dict, bytes], tuple[int, bytes]] = _deliver_over_http
        self._injected: list[tuple[str | None, TgFault]] = []
        self._chat_windows: dict[int, Window] = {}
        self._bot_windows: dict[str, Window] = {}
        self._update_ids = itertools.count(100_000_001)
        self._callbacks: dict[str, dict] = {}
        self._arrived = threading.Condition()
        self._outbox: list[tuple[Bot, dict]] = []

    # --- set-up by tests ----------------------------------------------------------------------
    def add_bot(self, token: str, username: str = "zveno_bot", first_name: str = "Zveno") -> Bot:
        with self.lock:
            bot_id = int(token.split(":", 1)[0]) if ":" in token else 7_000_000_000 + len(
                self.bots)  # fmt: skip
            self.bots[token] = Bot(token, bot_id, username, first_name)
            return self.bots[token]

    def add_channel(
        self, chat_id: int, title: str = "Канал", username: str = "", members: int = 500,
        admins: dict[str, dict] | None = None, kind: str = "channel",
    ) -> Chat:  # fmt: skip
        """A channel (or supergroup); `admins` maps bot tokens to their rights (True values)."""
        with self.lock:
            chat = Chat(chat_id, kind, title, username, members)
            for token, rights in (admins or {}).items():
                chat.rights[self.bots[token].id] = dict(rights)
            self.chats[chat_id] = chat
            return chat

    def make_admin(self, chat_id: int, token: str, **rights: bool) -> None:
        with self.lock:
            chat, bot = self.chats[chat_id], self.bots[token]
            chat.rights[bot.id] = dict(rights or ADMIN_RIGHTS)
            chat.kicked.discard(bot.id)

    def demote(self, chat_id: int, token: str) -> None:
        """The bot stays a member without rights."""
        with self.lock:
            self.chats[chat_id].rights[self.bots[token].id] = {}

    def remove_bot(self, chat_id: int, token: str) -> None:
        """Someone removes the bot from the channel."""
        with self.lock:
            chat, bot = self.chats[chat_id], self.bots[token]
            chat.rights.pop(bot.id, None)
            chat.kicked.add(bot.id)

    def revoke(self, token: str) -> None:
        with self.lock:
            self.bots[token].revoked = True

    def fail_next(
        self, code: int, description: str = "", method: str | None = None, times: int = 1,
        retry_after: int | None = None,
    ) -> None:  # fmt: skip
        """The next `times` calls (of `method`, or any) answer this error."""
        default = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests",
                   500: "Internal Server Error", 502: "Bad Gateway"}.get(code, "Error")  # fmt: skip
        if code == 429 and retry_after is None:
            retry_after = 5
        if code == 429 and not description:
            description = f"Too Many Requests: retry after {retry_after}"
        fault = TgFault(code, description or default, retry_after)
        with self.lock:
            self._injected += [(method.lower() if method else None, fault)] * times

    def members(self, chat_id: int) -> int:
        chat = self.chats[chat_id]
        days = max(0, int((self.now() - self.start_time) // 86400))
        return chat.members + chat.growth * days

    def messages(self, chat_id: int) -> list[dict]:
        """The chat's live messages, oldest first."""
        with self.lock:
            return [m for m in self.chats[chat_id].messages.values() if not m.get("_deleted")]

    def message(self, chat_id: int, message_id: int) -> dict:
        return self.chats[chat_id].messages[message_id]

    def target(self, chat: str = "@alpha_channel", token: str | None = None,
               timeout: float = 5.0):  # fmt: skip
        """The connector's Target for a channel of this fake."""
        from zveno.publishing.connectors.base import Target

        token = token or next(iter(self.bots))
        return Target(chat, {"bot_token": token}, self.url, timeout=timeout)

    # --- the channel's life: posts made by hand, reactions ------------------------------------
    def add_channel_post(self, chat_id: int, text: str, date: float | None = None) -> dict:
        """A post made in the channel by a person (not through the API); admin bots get a
        `channel_post` update."""
        with self.lock:
            chat = self.chats[chat_id]
            message = self._new_message(chat, {"text": text}, None, date)
            for bot in self._admin_bots(chat):
                self._push(bot, {"channel_post": _public(message)})
        self._flush()
        return message

    def react(self, chat_id: int, message_id: int, counts: dict[str, int]) -> None:
        """The channel's reactions on a post now total `counts` ({"👍": 5}); admin bots that
        asked for `message_reaction_count` get the update."""
        with self.lock:
            chat = self.chats[chat_id]
            chat.messages[message_id]["_reactions"] = dict(counts)
            update = {"message_reaction_count": {
                "chat": chat.public(), "message_id": message_id, "date": int(self.now()),
                "reactions": [{"type": {"type": "emoji", "emoji": e}, "total_count": n}
                              for e, n in counts.items()],
            }}  # fmt: skip
            for bot in self._admin_bots(chat):
                self._push(bot, update)
        self._flush()

    def comment(self, group_id: int, channel_id: int, message_id: int, text: str,
                user_id: int = 7001) -> dict:  # fmt: skip
        """A person comments a channel post in its linked discussion group (a supergroup added
        with `add_channel(kind="supergroup")`): Telegram forwarded the post there by itself, and
        the comment replies to that forward. Bots administering the group get the message."""
        with self.lock:
            group, channel = self.chats[group_id], self.chats[channel_id]
            forward = {
                "message_id": 10_000 + message_id, "chat": group.public(),
                "is_automatic_forward": True, "sender_chat": channel.public(),
                "forward_from_chat": channel.public(), "forward_from_message_id": message_id,
            }  # fmt: skip
            person = {"id": user_id, "is_bot": False, "first_name": "Читатель"}
            message = self._new_message(group, {"text": text, "from": person,
                                                "reply_to_message": forward}, None)  # fmt: skip
            message["from"] = person
            for bot in self._admin_bots(group):
                self._push(bot, {"message": dict(message)})
        self._flush()
        return message

    # --- a person and the bot -----------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str = "Анна", username: str = "",
                 language_code: str = "ru") -> dict:  # fmt: skip
        with self.lock:
            user = {"id": user_id, "is_bot": False, "first_name": first_name,
                    "language_code": language_code}  # fmt: skip
            if username:
                user["username"] = username
            chat = self.chats.get(user_id) or Chat(user_id, "private")
            chat.user = user
            self.chats[user_id] = chat
            return user

    def user_start(self, user_id: int, payload: str = "", token: str | None = None) -> dict:
        """The person opens t.me/<bot>?start=<payload> and presses Start: "/start <payload>"."""
        bot = self._bot(token)
        with self.lock:
            self._person(user_id).started.add(bot.id)
        text = f"/start {payload}".strip()
        return self._user_message(user_id, bot, {"text": text, "entities": [
            {"type": "bot_command", "offset": 0, "length": 6}]})  # fmt: skip

    def user_text(self, user_id: int, text: str, token: str | None = None) -> dict:
        return self._user_message(user_id, self._bot(token), {"text": text})

    def user_voice(self, user_id: int, content: bytes = b"OggS" + bytes(200), duration: int = 4,
                   token: str | None = None) -> dict:  # fmt: skip
        voice = self._file(content, "voice", "audio/ogg", {"duration": duration,
                                                           "mime_type": "audio/ogg"})  # fmt: skip
        return self._user_message(user_id, self._bot(token), {"voice": voice})

    def user_photo(self, user_id: int, content: bytes = b"\xff\xd8\xff" + bytes(300),
                   caption: str = "", token: str | None = None) -> dict:  # fmt: skip
        photo = self._file(content, "photos", "image/jpeg", {"width": 800, "height": 600})
        small = {**photo, "width": 90, "height": 68, "file_size": min(photo["file_size"], 1000)}
        fields = {"photo": [small, photo]}
        if caption:
            fields["caption"] = caption
        return self._user_message(user_id, self._bot(token), fields)

    def user_blocks(self, user_id: int, token: str | None = None) -> None:
        with self.lock:
            self._person(user_id).blocked.add(self._bot(token).id)

    def user_callback(self, user_id: int, message_id: int, data: str,
                      token: str | None = None) -> str:  # fmt: skip
        """The person presses an inline button with `data` under the bot's message; returns
        the callback query's id (answered through answerCallbackQuery)."""
        bot = self._bot(token)
        with self.lock:
            chat = self._person(user_id)
            message = chat.messages[message_id]
            query_id = str(next(self._update_ids) * 7919)
            self._callbacks[query_id] = {"user": user_id, "bot": bot.id}
            query = {"id": query_id, "from": chat.user, "message": _public(message),
                     "chat_instance": str(user_id * 31), "data": data}  # fmt: skip
            self._push(bot, {"callback_query": query})
        self._flush()
        return query_id

    def seen_by(self, user_id: int, token: str | None = None) -> list[dict]:
        """What the person sees from the bot, oldest first: text (or caption), buttons (rows of
        {text, callback_data|url}), and the message itself."""
        bot = self._bot(token)
        shown = []
        for message in self.messages(user_id):
            if (message.get("from") or {}).get("id") != bot.id:
                continue
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            shown.append({
                "message_id": message["message_id"],
                "text": message.get("text") or message.get("caption") or "",
                "buttons": rows, "message": _public(message),
            })  # fmt: skip
        return shown

    def press(self, user_id: int, button_text: str, token: str | None = None) -> str:
        """Press the newest button with this text the person sees; returns the query id."""
        for shown in reversed(self.seen_by(user_id, token)):
            for row in shown["buttons"]:
                for button in row:
                    if button.get("text") == button_text and "callback_data" in button:
                        return self.user_callback(user_id, shown["message_id"],
                                                  button["callback_data"], token)  # fmt: skip
        raise AssertionError(f"no button {button_text!r} in what user {user_id} sees")

    def pending_updates(self, token: str | None = None) -> list[dict]:
        with self.lock:
            return list(self._bot(token).updates)

    def deliver_pending(self, token: str | None = None) -> int:
        """Try the webhook again for updates it refused; returns how many remain."""
        bot = self._bot(token)
        with self.lock:
            waiting = list(bot.updates)
        for update in waiting:
            self._deliver(bot, update)
        with self.lock:
            return len(bot.updates)

    # --- dispatch -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        file_match = re.fullmatch(r"/file/bot([^/]+)/(.+)", req.path)
        if file_match:
            return self._download(file_match.group(1), file_match.group(2))
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", req.path)
        if not match:
            return _error(TgFault(404, "Not Found"))
        token, method = match.group(1), match.group(2).lower()
        params, files = req.params()
        try:
            with self.lock:
                self.calls[method] += 1
                bot = self._auth(token)
                return _ok(self._call(bot, method, params, files))
        except TgFault as fault:
            return _error(fault)

    def _call(self, bot: Bot, method: str, params: dict, files: dict[str, Part]):
        for i, (only, fault) in enumerate(self._injected):
            if only in (None, method):
                del self._injected[i]
                raise fault
        handler = getattr(self, "m_" + method, None)
        if handler is None:
            raise TgFault(404, "Not Found: method not found")
        return handler(bot, params, files)

    def _auth(self, token: str) -> Bot:
        bot = self.bots.get(token)
        if bot is None or bot.revoked:
            raise TgFault(401, "Unauthorized")
        return bot

    def _bot(self, token: str | None) -> Bot:
        return self.bots[token] if token else next(iter(self.bots.values()))

    def _person(self, user_id: int) -> Chat:
        chat = self.chats.get(user_id)
        if chat is None or chat.type != "private":
            self.add_user(user_id)
            chat = self.chats[user_id]
        return chat

    def _chat(self, raw, bot: Bot, write: bool = False, right: str = "can_post_messages") -> Chat:
        """The chat `chat_id` names, as the bot may use it."""
        ref = str(raw or "").strip()
        chat = None
        if ref.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username.lower() == ref[1:].lower()
                         and c.username), None)  # fmt: skip
        elif re.fullmatch(r"-?\d+", ref):
            chat = self.chats.get(int(ref))
        if chat is None:
            raise bad("chat not found")
        if chat.type == "private":
            if write and bot.id in chat.blocked:
                raise TgFault(403, "Forbidden: bot was blocked by the user")
            if write and bot.id not in chat.started:
                raise TgFault(403, "Forbidden: bot can't initiate conversation with a user")
            return chat
        if bot.id in chat.kicked:
            raise TgFault(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if bot.id not in chat.rights:
            if chat.username and not write:
                return chat  # a public channel can be read by anyone
            raise TgFault(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        if write and chat.type == "channel" and not chat.rights[bot.id].get(right):
            raise bad(f"need administrator rights in the {chat.type} chat")
        return chat

    def _rate(self, bot: Bot, chat: Chat) -> None:
        if not self.limits:
            return
        now = self.now()
        windows = [self._bot_windows.setdefault(bot.token, Window(30, 1.0))]
        if chat.type != "private":
            windows.append(self._chat_windows.setdefault(chat.id, Window(20, 60.0)))
        wait = max(w.wait(now) for w in windows)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TgFault(429, f"Too Many Requests: retry after {seconds}", seconds)
        for window in windows:
            window.add(now)

    # --- sending ------------------------------------------------------------------------------
    def _send(self, bot: Bot, params: dict, fields: dict) -> dict:
        chat = self._chat(params.get("chat_id"), bot, write=True)
        markup = _json_param(params, "reply_markup")
        self._rate(bot, chat)
        message = self._new_message(chat, fields, bot, markup=markup)
        self.accepted[chat.id] += 1
        return _public(message)

    def m_sendmessage(self, bot, params, files):
        text = str(params.get("text") or "").strip()
        if not text:
            raise bad("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad("message is too long")
        return self._send(bot, params, {"text": text})

    def _media_send(self, bot, params, files, kind: str):
        caption = str(params.get("caption") or "").strip()
        if len(caption) > CAPTION_LIMIT:
            raise bad("message caption is too long")
        media = self._media(params.get(kind), files, kind)
        fields = {kind: media}
        if caption:
            fields["caption"] = caption
        return self._send(bot, params, fields)

    def m_sendphoto(self, bot, params, files):
        return self._media_send(bot, params, files, "photo")

    def m_sendvideo(self, bot, params, files):
        return self._media_send(bot, params, files, "video")

    def m_senddocument(self, bot, params, files):
        return self._media_send(bot, params, files, "document")

    def m_sendvoice(self, bot, params, files):
        return self._media_send(bot, params, files, "voice")

    def m_sendmediagroup(self, bot, params, files):
        items = _json_param(params, "media")
        if not isinstance(items, list) or len(items) < 2:
            raise bad("wrong number of messages to send as an album")
        if len(items) > 10:
            raise bad("too many messages to send as an album")
        kinds = {i.get("type") for i in items}
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise bad("documents and audio can't be mixed with other media types in an album")
        chat = self._chat(params.get("chat_id"), bot, write=True)
        built = []
        for item in items:
            caption = str(item.get("caption") or "").strip()
            if len(caption) > CAPTION_LIMIT:
                raise bad("message caption is too long")
            fields = {item["type"]: self._media(item.get("media"), files, item["type"])}
            if caption:
                fields["caption"] = caption
            built.append(fields)
        self._rate(bot, chat)
        group_id = str(next(self._update_ids) * 13)
        sent = [self._new_message(chat, {**f, "media_group_id": group_id}, bot) for f in built]
        self.accepted[chat.id] += 1
        return [_public(m) for m in sent]

    def _media(self, ref, files: dict[str, Part], kind: str):
        """A file from its part (`attach://name`, or the field itself), or a file_id sent before."""
        ref = ref if isinstance(ref, str) else ""
        part = files.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else None
        if part is None and not ref:
            part = files.get(kind)
        if part is None:
            if ref in self.files:
                return self._file_object(ref, kind)
            raise bad("wrong file identifier/HTTP URL specified")
        if not part.content:
            raise bad("file must be non-empty")
        if len(part.content) > 50 * 1024 * 1024:
            raise TgFault(413, "Request Entity Too Large")
        if kind == "photo" and len(part.content) > 10 * 1024 * 1024:
            raise bad("PHOTO_SAVE_FILE_INVALID")
        self.uploads.append({"name": part.filename, "size": len(part.content),
                             "content_type": part.content_type, "kind": kind})  # fmt: skip
        extra = {"width": 1280, "height": 720} if kind in ("photo", "video") else {}
        if kind != "photo":
            extra.update({"file_name": part.filename, "mime_type": part.content_type})
        return self._file(part.content, f"{kind}s", part.content_type, extra, photo=kind == "photo")

    def _file(self, content: bytes, folder: str, content_type: str, extra: dict,
              photo: bool = False):  # fmt: skip
        file_id = "AgAC" + hashlib.sha1(content + secrets.token_bytes(4)).hexdigest()
        obj = {"file_id": file_id, "file_unique_id": file_id[-12:], "file_size": len(content),
               **extra}  # fmt: skip
        self.files[file_id] = {"file_path": f"{folder}/file_{len(self.files)}",
                               "content": content, "object": obj}  # fmt: skip
        return [obj] if photo else obj

    def _file_object(self, file_id: str, kind: str):
        obj = self.files[file_id]["object"]
        return [obj] if kind == "photo" else obj

    def _new_message(self, chat: Chat, fields: dict, bot: Bot | None, date: float | None = None,
                     markup: dict | None = None) -> dict:  # fmt: skip
        message = {"message_id": chat.next_id, "date": int(date or self.now()),
                   "chat": chat.public(), **fields}  # fmt: skip
        if chat.type == "channel":
            message["sender_chat"] = chat.public()
        elif bot is not None:
            message["from"] = bot.user()
        elif chat.user:
            message["from"] = chat.user
        if markup:
            message["reply_markup"] = markup
        chat.messages[chat.next_id] = message
        chat.next_id += 1
        return message

    # --- editing and deleting -----------------------------------------------------------------
    def _own(self, bot: Bot, params: dict, right: str) -> tuple[Chat, dict]:
        chat = self._chat(params.get("chat_id"), bot, write=True, right=right)
        message = chat.messages.get(int(params.get("message_id") or 0))
        if message is None or message.get("_deleted"):
            raise bad("message to edit not found")
        return chat, message

    def _edit(self, message: dict, field_name: str, value: str, markup) -> dict:
        if markup is None:
            markup = message.get("reply_markup")
        if message.get(field_name, "") == value and message.get("reply_markup") == markup:
            raise bad("message is not modified: specified new message content and reply markup "
                      "are exactly the same as a current content and reply markup of the "
                      "message")  # fmt: skip
        message[field_name] = value
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(self.now())
        return _public(message)

    def m_editmessagetext(self, bot, params, files):
        _chat, message = self._own(bot, params, "can_edit_messages")
        text = str(params.get("text") or "").strip()
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        if not text:
            raise bad("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad("message is too long")
        return self._edit(message, "text", text, _json_param(params, "reply_markup"))

    def m_editmessagecaption(self, bot, params, files):
        _chat, message = self._own(bot, params, "can_edit_messages")
        caption = str(params.get("caption") or "").strip()
        if "text" in message:
            raise bad("there is no caption in the message to edit")
        if len(caption) > CAPTION_LIMIT:
            raise bad("message caption is too long")
        return self._edit(message, "caption", caption, _json_param(params, "reply_markup"))

    def m_editmessagereplymarkup(self, bot, params, files):
        _chat, message = self._own(bot, params, "can_edit_messages")
        markup = _json_param(params, "reply_markup") or {}
        if message.get("reply_markup", {}) == markup:
            raise bad("message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return _public(message)

    def _delete_one(self, chat: Chat, message_id: int) -> None:
        message = chat.messages.get(message_id)
        if message is None or message.get("_deleted"):
            raise bad("message to delete not found")
        if self.now() - message["date"] > 48 * 3600:
            raise bad("message can't be deleted")
        message["_deleted"] = True

    def m_deletemessage(self, bot, params, files):
        chat = self._chat(params.get("chat_id"), bot, write=True, right="can_delete_messages")
        self._delete_one(chat, int(params.get("message_id") or 0))
        return True

    def m_deletemessages(self, bot, params, files):
        chat = self._chat(params.get("chat_id"), bot, write=True, right="can_delete_messages")
        ids = _json_param(params, "message_ids") or []
        if not 1 <= len(ids) <= 100:
            raise bad("message_ids must be between 1 and 100")
        done = 0
        for message_id in ids:
            try:
                self._delete_one(chat, int(message_id))
                done += 1
            except TgFault:
                continue  # skipped, as the API does
        if not done:
            raise bad("message to delete not found")
        return True

    # --- the bot and its chats ----------------------------------------------------------------
    def m_getme(self, bot, params, files):
        return {**bot.user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    def m_getchat(self, bot, params, files):
        chat = self._chat(params.get("chat_id"), bot)
        return {**chat.public(), "accent_color_id": 0, "max_reaction_count": 11,
                "description": ""}  # fmt: skip

    def m_getchatmember(self, bot, params, files):
        chat = self._chat(params.get("chat_id"), bot)
        user_id = int(params.get("user_id") or 0)
        target = next((b for b in self.bots.values() if b.id == user_id), None)
        user = target.user() if target else {"id": user_id, "is_bot": False, "first_name": "?"}
        if target and target.id in chat.kicked:
            return {"status": "kicked", "user": user, "until_date": 0}
        rights = chat.rights.get(user_id)
        if rights is None:
            return {"status": "left", "user": user}
        if not any(rights.values()):
            return {"status": "member", "user": user}
        member = {"status": "administrator", "user": user, "can_be_edited": False,
                  "is_anonymous": False, "can_manage_chat": True}  # fmt: skip
        for right in ("can_post_messages", "can_edit_messages", "can_delete_messages"):
            member[right] = bool(rights.get(right))
        return member

    def m_getchatmembercount(self, bot, params, files):
        return self.members(self._chat(params.get("chat_id"), bot).id)

    def m_sendchataction(self, bot, params, files):
        self._chat(params.get("chat_id"), bot, write=True)
        return True

    def m_setmycommands(self, bot, params, files):
        return True

    def m_answercallbackquery(self, bot, params, files):
        query = self._callbacks.pop(str(params.get("callback_query_id") or ""), None)
        if query is None or query["bot"] != bot.id:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        self.callback_answers.append(
            {
                "user": query["user"],
                "text": params.get("text", ""),
                "show_alert": params.get("show_alert") in ("true", True),
            }
        )
        return True

    def m_getfile(self, bot, params, files):
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        obj = stored["object"]
        return {"file_id": obj["file_id"], "file_unique_id": obj["file_unique_id"],
                "file_size": obj["file_size"], "file_path": stored["file_path"]}  # fmt: skip

    def _download(self, token: str, path: str) -> Response:
        with self.lock:
            bot = self.bots.get(token)
            stored = next((f for f in self.files.values() if f["file_path"] == path), None)
        if bot is None or bot.revoked:
            return _error(TgFault(401, "Unauthorized"))
        if stored is None:
            return _error(TgFault(404, "Not Found: file not found"))
        return Response(200, stored["content"], {"Content-Type": "application/octet-stream"})

    # --- updates: long polling and webhooks ---------------------------------------------------
    def m_getupdates(self, bot, params, files):
        if bot.webhook:
            raise TgFault(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")  # fmt: skip
        allowed = _json_param(params, "allowed_updates")
        if allowed is not None:
            bot.allowed_updates = set(allowed) or set(DEFAULT_UPDATES)
        offset = int(params.get("offset") or 0)
        if offset:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        limit = max(1, min(100, int(params.get("limit") or 100)))
        ready = bot.updates[:limit]
        timeout = min(float(params.get("timeout") or 0), 50.0)
        if not ready and timeout > 0:
            self.lock.release()  # wait for an update without holding the fake
            try:
                with self._arrived:
                    self._arrived.wait(timeout)
            finally:
                self.lock.acquire()
            ready = bot.updates[:limit]
        return ready

    def m_setwebhook(self, bot, params, files):
        url = str(params.get("url") or "")
        if not url:
            return self.m_deletewebhook(bot, params, files)
        secret = str(params.get("secret_token") or "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad("secret token contains unallowed characters")
        allowed = _json_param(params, "allowed_updates")
        if allowed is not None:
            bot.allowed_updates = set(allowed) or set(DEFAULT_UPDATES)
        if params.get("drop_pending_updates") in ("true", True):
            bot.updates.clear()
        bot.webhook = {"url": url, "secret_token": secret}
        return True

    def m_deletewebhook(self, bot, params, files):
        bot.webhook = None
        if params.get("drop_pending_updates") in ("true", True):
            bot.updates.clear()
        return True

    def m_getwebhookinfo(self, bot, params, files):
        return {"url": (bot.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(bot.updates),
                "allowed_updates": sorted(bot.allowed_updates)}  # fmt: skip

    def _user_message(self, user_id: int, bot: Bot, fields: dict) -> dict:
        with self.lock:
            chat = self._person(user_id)
            message = self._new_message(chat, fields, None)
            update = self._push(bot, {"message": _public(message)})
        self._flush()
        return update

    def _push(self, bot: Bot, body: dict) -> dict:
        """Queue an update for the bot; with a webhook, deliver it (outside the lock) at once."""
        kind = next(iter(body))
        update = {"update_id": next(self._update_ids), **body}
        if kind not in bot.allowed_updates:
            return update  # the bot did not ask for this kind: Telegram does not send it
        bot.updates.append(update)
        with self._arrived:
            self._arrived.notify_all()
        if bot.webhook:
            self._outbox.append((bot, update))
        return update

    def _flush(self) -> None:
        """Deliver queued webhook updates, in order, outside the lock (the receiver may call
        back into the fake)."""
        while True:
            with self.lock:
                if not self._outbox:
                    return
                bot, update = self._outbox.pop(0)
            self._deliver(bot, update)

    def _deliver(self, bot: Bot, update: dict) -> None:
        webhook = bot.webhook
        if not webhook:
            return
        headers = {"Content-Type": "application/json"}
        if webhook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        body = json.dumps(update, ensure_ascii=False).encode()
        try:
            status, answer = self.deliver(webhook["url"], headers, body)
        except httpx.HTTPError:
            status, answer = 0, b""
        with self.lock:
            bot.delivered.append({"update": update, "status": status})
            if status == 200 and update in bot.updates:
                bot.updates.remove(update)
        if status == 200 and answer:
            self._inline_method(bot, answer)

    def _inline_method(self, bot: Bot, answer: bytes) -> None:
        """A webhook may answer with one method call in its body, as Telegram allows."""
        try:
            call = json.loads(answer)
        except ValueError:
            return
        if isinstance(call, dict) and call.get("method"):
            params = {k: v for k, v in call.items() if k != "method"}
            with self.lock, contextlib.suppress(TgFault):
                self._call(bot, str(call["method"]).lower(), params, {})

    def _admin_bots(self, chat: Chat) -> list[Bot]:
        return [b for b in self.bots.values() if b.id in chat.rights]


def _json_param(params: dict, name: str):
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None
    return value


def _public(message: dict) -> dict:
    return {k: v for k, v in message.items() if not k.startswith("_")}


def _ok(result) -> Response:
    return Response.json({"ok": True, "result": result})


def _error(fault: TgFault) -> Response:
    body = {"ok": False, "error_code": fault.code, "description": fault.description}
    if fault.retry_after is not None:
        body["parameters"] = {"retry_after": fault.retry_after}
    return Response.json(body, status=fault.code)


def _deliver_over_http(url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    reply = httpx.post(url, content=body, headers=headers, timeout=10)
    return reply.status_code, reply.content
