"""Telegram channels: posts by a bot that is an administrator of the channel allowed to post.

Facts (APIS.md §1): text 1–4096 characters, a caption 0–1024; one photo, video or document goes
by `sendPhoto`/`sendVideo`/`sendDocument`, an album of 2–10 by `sendMediaGroup` (the caption on its
first item; documents only with documents), the files in multipart parts named by `attach://`.
The HTTP status is the error's code: 429 carries `retry_after`, 401 a revoked token, 403 a bot
removed from the channel, 400 the content refused.

A bot cannot read a channel back (`can_read_back` is False): after an UNKNOWN outcome the scheduler
holds the publication as "needs a check" instead of sending again. Views are not in the Bot API
either; the audience is `getChatMemberCount`, reactions come as `message_reaction_count` updates
(`reaction_count`), and posts made by hand as `channel_post` updates (`channel_post`).

External ids are the message id, or the ids of an album joined by "," (the first holds the
caption).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import httpx
from django.utils.translation import gettext as _

from zveno.publishing.clients.telegram import TelegramClient, TelegramError, TelegramHttpError
from zveno.publishing.connectors.base import (
    Collected,
    MediaFile,
    Outcome,
    OutcomeKind,
    Post,
    Problem,
    Target,
    marked_text,
    transport_outcome,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ALBUM_MIN, ALBUM_MAX = 2, 10
LINK_LIMIT = 100  # Telegram parses at most 100 entities in a message (◐)
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
PHOTO_MAX_BYTES = 10 * 1024 * 1024
FILE_MAX_BYTES = 50 * 1024 * 1024  # uploads through the public Bot API (video, documents)
URL = re.compile(r"https?://\S+|(?<![\w@/])t\.me/\S+", re.IGNORECASE)
SEND = {"photo": "sendPhoto", "video": "sendVideo", "document": "sendDocument"}


def chat_id(handle: str) -> str:
    """The Bot API's `chat_id`: "-100…" (or any integer) as is, else "@name" from "@name",
    "name", "t.me/name" or "https://t.me/name"."""
    text = (handle or "").strip().rstrip("/")
    if re.fullmatch(r"-?\d+", text):
        return text
    text = re.sub(r"^(https?://)?(www\.)?(t|telegram)\.me/", "", text, flags=re.IGNORECASE)
    return "@" + text.lstrip("@")


def post_url(chat: Mapping | str, message_id: int) -> str:
    """The public link of a message: t.me/<name>/<id>, or t.me/c/<id>/<id> in a private channel."""
    username = chat.get("username") if isinstance(chat, Mapping) else None
    if isinstance(chat, str) and chat.startswith("@"):
        username = chat[1:]
    if username:
        return f"https://t.me/{username}/{message_id}"
    raw = str(chat.get("id", "") if isinstance(chat, Mapping) else chat)
    if raw.startswith("-100"):
        return f"https://t.me/c/{raw[4:]}/{message_id}"
    return ""


class TelegramConnector:
    network = "telegram"
    can_read_back = False

    # --- before sending -----------------------------------------------------------------------
    def validate(self, post: Post) -> list[Problem]:
        problems: list[Problem] = []
        text = marked_text(post).strip()
        media = list(post.media)
        if not text and not media:
            problems.append(Problem("empty", _("The post has neither text nor media."), "text"))
        if media and len(text) > CAPTION_LIMIT:
            problems.append(Problem(
                "caption_too_long",
                _("Telegram takes up to %(limit)s characters under photos or video; this text "
                  "has %(n)s. Shorten it or post the text separately.")
                % {"limit": CAPTION_LIMIT, "n": len(text)}, "text",
            ))  # fmt: skip
        elif len(text) > TEXT_LIMIT:
            problems.append(Problem(
                "text_too_long",
                _("Telegram takes up to %(limit)s characters in a post; this one has %(n)s.")
                % {"limit": TEXT_LIMIT, "n": len(text)}, "text",
            ))  # fmt: skip
        if len(media) > ALBUM_MAX:
            problems.append(Problem(
                "too_many_media",
                _("A Telegram album holds %(min)s to %(max)s files; this post has %(n)s.")
                % {"min": ALBUM_MIN, "max": ALBUM_MAX, "n": len(media)}, "media",
            ))  # fmt: skip
        kinds = {m.kind for m in media}
        if len(media) > 1 and "document" in kinds and kinds != {"document"}:
            problems.append(Problem(
                "album_mixed_types",
                _("A Telegram album mixes photos and video, or holds only documents: not both."),
                "media",
            ))  # fmt: skip
        problems += [p for item in media for p in _media_problems(item)]
        if len(URL.findall(text)) > LINK_LIMIT:
            problems.append(Problem(
                "too_many_links",
                _("Telegram reads up to %(limit)s links in a post; this one has %(n)s.")
                % {"limit": LINK_LIMIT, "n": len(URL.findall(text))}, "text",
            ))  # fmt: skip
        if post.is_ad and not post.erid:
            problems.append(Problem(
                "missing_erid", _("An advertising post needs its erid before it is sent."), "erid"
            ))  # fmt: skip
        return problems

    # --- the connection -----------------------------------------------------------------------
    def test(self, target: Target) -> Outcome:
        """The bot (getMe), the channel (getChat), the bot's rights in it (getChatMember: an
        administrator allowed to post) and the audience (getChatMemberCount)."""
        chat_ref = chat_id(target.handle)
        try:
            with _client(target) as tg:
                me = tg.call("getMe")
                chat = tg.call("getChat", chat_id=chat_ref)
                member = tg.call("getChatMember", chat_id=chat_ref, user_id=me["id"])
                members = tg.call("getChatMemberCount", chat_id=chat_ref)
        except (TelegramError, TelegramHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        status = member.get("status", "")
        rights = [r for r in ("can_post_messages", "can_edit_messages", "can_delete_messages")
                  if member.get(r) or status == "creator"]  # fmt: skip
        data = {
            "id": chat.get("id"), "title": chat.get("title", ""), "type": chat.get("type", ""),
            "username": chat.get("username", ""), "members": members,
            "bot": me.get("username", ""), "status": status, "rights": rights,
        }  # fmt: skip
        if chat.get("type") == "channel":
            can_post = status == "creator" or (
                status == "administrator" and member.get("can_post_messages")
            )
        else:
            can_post = status in ("creator", "administrator", "member") or (
                status == "restricted" and member.get("can_send_messages")
            )
        if not can_post:
            reason = _(
                "The bot @%(bot)s is not an administrator of this channel allowed to post: "
                "add it with the right to publish messages."
            ) % {"bot": data["bot"]}
            return Outcome(OutcomeKind.AUTH_LOST, reason=reason, data=data)
        url = f"https://t.me/{chat['username']}" if chat.get("username") else ""
        return Outcome(OutcomeKind.PUBLISHED, external_id=str(chat.get("id")), url=url, data=data)

    # --- posting ------------------------------------------------------------------------------
    def publish(self, target: Target, post: Post) -> Outcome:
        """One request: the files travel inside it, so a timeout is UNKNOWN whatever it carried."""
        chat_ref = chat_id(target.handle)
        text = marked_text(post).strip()
        media = list(post.media)
        try:
            with _client(target) as tg:
                if not media:
                    sent = [tg.call("sendMessage", chat_id=chat_ref, text=text)]
                elif len(media) == 1:
                    item = media[0]
                    sent = [tg.call(
                        SEND[item.kind], chat_id=chat_ref, caption=text or None,
                        supports_streaming=True if item.kind == "video" else None,
                        files={item.kind: (item.name, item.read(), item.content_type)},
                    )]  # fmt: skip
                else:
                    group, files = _album(media, text)
                    sent = tg.call("sendMediaGroup", chat_id=chat_ref, media=group, files=files)
        except (TelegramError, TelegramHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        ids = [str(m["message_id"]) for m in sent]
        first = sent[0]
        url = post_url(first.get("chat") or chat_ref, first["message_id"])
        return Outcome(
            OutcomeKind.PUBLISHED, external_id=",".join(ids), url=url,
            detail=f"message_id {','.join(ids)}",
            data={"chat_id": (first.get("chat") or {}).get("id"),
                  "media_group_id": first.get("media_group_id")},
        )  # fmt: skip

    def edit(self, target: Target, external_id: str, post: Post) -> Outcome:
        """The text of a text post, the caption of a post with media (an album's first message).
        Media are not replaced; an unchanged text is no error."""
        chat_ref = chat_id(target.handle)
        first = int(_ids(external_id)[0])
        text = marked_text(post).strip()
        methods = ["editMessageCaption", "editMessageText"]
        if not post.media:
            methods.reverse()
        try:
            with _client(target) as tg:
                for method in methods:
                    field = "caption" if method == "editMessageCaption" else "text"
                    try:
                        tg.call(method, chat_id=chat_ref, message_id=first, **{field: text})
                        break
                    except TelegramError as exc:
                        said = exc.description.lower()
                        if "not modified" in said:
                            break
                        if not ("no text in the message" in said or "no caption" in said):
                            raise
                        if method == methods[-1]:
                            raise
        except TelegramError as exc:
            if "not found" in exc.description.lower() and "chat" not in exc.description.lower():
                return Outcome(OutcomeKind.NOT_FOUND, external_id=external_id, detail=exc.detail)
            return _failure(exc)
        except (TelegramHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        return Outcome(
            OutcomeKind.PUBLISHED, external_id=external_id, url=post_url(chat_ref, first)
        )

    def delete(self, target: Target, external_id: str) -> Outcome:
        """PUBLISHED (ok) when the post is gone, NOT_FOUND when it already was; Telegram lets a
        bot delete only posts younger than 48 hours."""
        chat_ref = chat_id(target.handle)
        ids = [int(i) for i in _ids(external_id)]
        try:
            with _client(target) as tg:
                if len(ids) == 1:
                    tg.call("deleteMessage", chat_id=chat_ref, message_id=ids[0])
                else:
                    tg.call("deleteMessages", chat_id=chat_ref, message_ids=ids)
        except TelegramError as exc:
            said = exc.description.lower()
            if "message to delete not found" in said:
                return Outcome(OutcomeKind.NOT_FOUND, external_id=external_id, detail=exc.detail)
            if "can't be deleted" in said:
                reason = _("Telegram lets a bot delete only posts younger than 48 hours: delete "
                           "this one in the channel by hand.")  # fmt: skip
                return Outcome(OutcomeKind.REJECTED, reason=reason, detail=exc.detail,
                               status_code=exc.code)  # fmt: skip
            return _failure(exc)
        except (TelegramHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        return Outcome(OutcomeKind.PUBLISHED, external_id=external_id, detail="deleted")

    def find(self, target: Target, post: Post, sent_after: dt.datetime) -> Outcome:
        """A bot cannot read a channel's history: whether a post went out is a person's call."""
        return Outcome(OutcomeKind.UNKNOWN, detail="Telegram cannot be read back")

    # --- figures ------------------------------------------------------------------------------
    def fetch_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Mapping[str, dict]:
        """The Bot API gives no views or forwards; reactions arrive as updates
        (`reaction_count`). Nothing to ask for here."""
        return {}

    def collect_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Collected:
        return Collected()  # no request: see fetch_post_metrics

    def fetch_channel_day(self, target: Target, day: dt.date) -> dict:
        return self.collect_channel_day(target, day).metrics

    def collect_channel_day(self, target: Target, day: dt.date) -> Collected:
        """`followers` now (getChatMemberCount): the Bot API keeps no history of the audience,
        so a day's figure is the one read on that day."""
        found = Collected()
        try:
            with _client(target) as tg:
                try:
                    count = tg.call("getChatMemberCount", chat_id=chat_id(target.handle))
                    found.metrics["followers"] = int(count)
                finally:
                    found.requests = tg.calls
        except (TelegramError, TelegramHttpError, httpx.HTTPError) as exc:
            found.problem = _failure(exc)
        return found


# --- updates the bot receives ----------------------------------------------------------------


def reaction_count(update: Mapping) -> dict | None:
    """A `message_reaction_count` update as figures of one post: chat_id, external_id (the
    message id), date (aware), reactions (the total) and by_type ({emoji or custom id: n}).
    None for any other update. The bot must be an administrator and ask for this update type."""
    counted = update.get("message_reaction_count")
    if not counted:
        return None
    by_type: dict[str, int] = {}
    for item in counted.get("reactions") or []:
        kind = item.get("type") or {}
        key = kind.get("emoji") or kind.get("custom_emoji_id") or kind.get("type", "?")
        by_type[key] = by_type.get(key, 0) + int(item.get("total_count", 0))
    return {
        "chat_id": (counted.get("chat") or {}).get("id"),
        "external_id": str(counted.get("message_id")),
        "date": dt.datetime.fromtimestamp(int(counted.get("date", 0)), dt.UTC),
        "reactions": sum(by_type.values()), "by_type": by_type,
    }  # fmt: skip


def channel_post(update: Mapping) -> dict | None:
    """A `channel_post` update (a post in a channel the bot administers, made by anyone) as the
    connectors' recent posts are: chat_id, external_id, url, date (aware), text. None otherwise."""
    message = update.get("channel_post")
    if not message:
        return None
    chat = message.get("chat") or {}
    return {
        "chat_id": chat.get("id"), "external_id": str(message["message_id"]),
        "url": post_url(chat, message["message_id"]),
        "date": dt.datetime.fromtimestamp(int(message.get("date", 0)), dt.UTC),
        "text": message.get("text") or message.get("caption") or "",
        "media_group_id": message.get("media_group_id"),
    }  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------


def _client(target: Target) -> TelegramClient:
    return TelegramClient(target.credentials.get("bot_token", ""), target.base_url,
                          target.timeout)  # fmt: skip


def _ids(external_id: str) -> list[str]:
    return [i.strip() for i in str(external_id).split(",") if i.strip()]


def _album(media: Sequence[MediaFile], caption: str) -> tuple[list[dict], dict]:
    """The `media` array of sendMediaGroup and its files: item i is in part "file<i>"."""
    group, files = [], {}
    for i, item in enumerate(media):
        name = f"file{i}"
        entry = {"type": item.kind, "media": f"attach://{name}"}
        if i == 0 and caption:
            entry["caption"] = caption
        if item.kind == "video":
            entry["supports_streaming"] = True
        group.append(entry)
        files[name] = (item.name, item.read(), item.content_type)
    return group, files


def _media_problems(media: MediaFile) -> list[Problem]:
    if media.kind == "photo":
        if media.content_type not in PHOTO_TYPES:
            return [Problem(
                "unsupported_media",
                _("Telegram takes photos as JPG, PNG or WebP; “%(name)s” is not one.")
                % {"name": media.name}, "media",
            )]  # fmt: skip
        if media.size > PHOTO_MAX_BYTES:
            return [Problem(
                "media_too_large",
                _("“%(name)s” is larger than the 10 MB Telegram takes for a photo.")
                % {"name": media.name}, "media",
            )]  # fmt: skip
        return []
    if media.kind in ("video", "document"):
        if media.size > FILE_MAX_BYTES:
            return [Problem(
                "media_too_large",
                _("“%(name)s” is larger than the 50 MB a bot can upload to Telegram.")
                % {"name": media.name}, "media",
            )]  # fmt: skip
        return []
    return [Problem(
        "unsupported_media",
        _("Zveno posts photos, video and documents to Telegram; “%(name)s” is none of them.")
        % {"name": media.name}, "media",
    )]  # fmt: skip


def _failure(exc: Exception) -> Outcome:
    """A Bot API error (or a transport one) in the one vocabulary, with a reason for people."""
    if isinstance(exc, httpx.HTTPError):
        return transport_outcome(exc)
    if isinstance(exc, TelegramHttpError):
        if exc.status >= 500:
            reason = _("Telegram answered with an error (HTTP %(status)s); it will be tried "
                       "again.") % {"status": exc.status}  # fmt: skip
            return Outcome(OutcomeKind.TRANSIENT, reason=reason, detail=str(exc)[:500],
                           status_code=exc.status)  # fmt: skip
        reason = _("Telegram did not understand the request (HTTP %(status)s).") % {
            "status": exc.status
        }
        return Outcome(OutcomeKind.REJECTED, reason=reason, detail=str(exc)[:500],
                       status_code=exc.status)  # fmt: skip
    assert isinstance(exc, TelegramError)
    kind, reason, data = _classify(exc)
    retry_after = (exc.retry_after or 1.0) if kind is OutcomeKind.RATE_LIMITED else None
    return Outcome(kind, retry_after=retry_after, reason=reason, detail=exc.detail,
                   status_code=exc.code, data=data)  # fmt: skip


def _classify(exc: TelegramError) -> tuple[OutcomeKind, str, dict]:
    code, said = exc.code, exc.description.lower()
    K = OutcomeKind
    if code == 429:
        return (
            K.RATE_LIMITED,
            _("Telegram asks to slow down; the post waits %(n)s s.")
            % {"n": int(exc.retry_after or 1)},
            {},
        )
    if code in (401, 404):
        return K.AUTH_LOST, _("Telegram no longer accepts the bot's token: enter a new one."), {}
    if code == 403:
        return K.AUTH_LOST, _("The bot was removed from the channel or is not in it: add it "
                              "back as an administrator allowed to post."), {}  # fmt: skip
    if code >= 500:
        return K.TRANSIENT, _("Telegram had an internal error; it will be tried again."), {}
    if code == 413:
        return K.REJECTED, _("A file of the post is larger than Telegram accepts."), {}
    if exc.migrate_to_chat_id:
        return K.REJECTED, _("The group became a supergroup: change the channel's address to "
                             "%(id)s.") % {"id": exc.migrate_to_chat_id}, {
            "migrate_to_chat_id": exc.migrate_to_chat_id}  # fmt: skip
    if "chat not found" in said:
        reason = _(
            "Telegram does not know this channel, or the bot cannot see it: "
            "check the channel's address and the bot's place in it."
        )
        return K.AUTH_LOST, reason, {}
    if "rights" in said or "not enough" in said or "administrator" in said:
        return K.AUTH_LOST, _("The bot has no right to post in this channel: make it an "
                              "administrator allowed to publish messages."), {}  # fmt: skip
    if "caption is too long" in said:
        return K.REJECTED, _("Telegram refused the post: the text under the media is longer "
                             "than %(n)s characters.") % {"n": CAPTION_LIMIT}, {}  # fmt: skip
    if "too long" in said:
        return K.REJECTED, _("Telegram refused the post: the text is longer than %(n)s "
                             "characters.") % {"n": TEXT_LIMIT}, {}  # fmt: skip
    if "parse entities" in said:
        return K.REJECTED, _("Telegram could not read the formatting of the text."), {}
    if "album" in said:
        return K.REJECTED, _("Telegram refused the album: it takes 2 to 10 files."), {}
    if "file" in said or "image_process" in said or "photo" in said or "url content" in said:
        return K.REJECTED, _("Telegram could not process a file of the post."), {}
    return (
        K.REJECTED,
        _("Telegram refused the post: %(message)s") % {"message": exc.description},
        {},
    )
