"""MAX channels: posts by a bot that is an administrator of the channel with the `write` right.

Facts (APIS.md §3b, the schema 0.0.33): the chat id addresses a channel (negative), a message's
text is at most 4,000 characters, media are uploaded in three steps and attached by their payload
(several images and videos in one message; a file stands alone), `POST /messages?chat_id=` answers
`{"message"}` whose `body.mid` is the external id and `url` the public link. A video still being
processed makes the post fail with 400 `attachment.not.ready`: nothing was posted, so it is sent
again after a pause.

MAX can be read back (`can_read_back`): after an UNKNOWN outcome `find` reads the channel's
recent messages (`GET /messages`, newest first) and matches the text and the time. Views come
with messages read that way (`stat.views`); the audience is the chat's `participants_count`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Mapping, Sequence

import httpx
from django.utils.translation import gettext as _

from zveno.publishing.clients.max import MaxClient, MaxError, MaxHttpError
from zveno.publishing.connectors.base import (
    Collected,
    MediaFile,
    Outcome,
    OutcomeKind,
    Post,
    Problem,
    Target,
    marked_text,
    normal_text,
    transport_outcome,
)

TEXT_LIMIT = 4000
ATTACHMENT_LIMIT = 10  # not in the schema (◐): the apps show albums of up to 10
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/tiff", "image/bmp", "image/heic"}
IMAGE_MAX_BYTES = 50 * 1024 * 1024
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/x-matroska", "video/webm"}
VIDEO_MAX_BYTES = 250 * 1024 * 1024
FILE_MAX_BYTES = 4 * 1024**3
UPLOAD_TYPE = {"photo": "image", "video": "video", "document": "file"}
NOT_READY_PAUSES = (0.5, 1.0, 2.0, 4.0)  # seconds between tries while a video is processed
PAGE = 100  # GET /messages count
FIND_PAGES = 10  # pages read back when reconciling (cheap at 30 requests a second)
FIND_SLACK = 120  # seconds: the network's clock against ours


def chat_id(handle: str) -> int | None:
    """The chat id from "-123" (or "123", taken as the channel -123); None for anything else."""
    text = (handle or "").strip()
    if re.fullmatch(r"-?\d+", text):
        return -abs(int(text))
    return None


class MaxConnector:
    network = "max"
    can_read_back = True

    # --- before sending -----------------------------------------------------------------------
    def validate(self, post: Post) -> list[Problem]:
        problems: list[Problem] = []
        text = marked_text(post).strip()
        media = list(post.media)
        if not text and not media:
            problems.append(Problem("empty", _("The post has neither text nor media."), "text"))
        if len(text) > TEXT_LIMIT:
            problems.append(Problem(
                "text_too_long",
                _("MAX takes up to %(limit)s characters in a post; this one has %(n)s.")
                % {"limit": TEXT_LIMIT, "n": len(text)}, "text",
            ))  # fmt: skip
        if len(media) > ATTACHMENT_LIMIT:
            problems.append(Problem(
                "too_many_media",
                _("MAX takes up to %(limit)s attachments in a post; this one has %(n)s.")
                % {"limit": ATTACHMENT_LIMIT, "n": len(media)}, "media",
            ))  # fmt: skip
        if len(media) > 1 and any(m.kind == "document" for m in media):
            problems.append(Problem(
                "album_mixed_types",
                _("In MAX a file goes alone in its post: remove the other media or the file."),
                "media",
            ))  # fmt: skip
        problems += [p for item in media for p in _media_problems(item)]
        if post.is_ad and not post.erid:
            problems.append(Problem(
                "missing_erid", _("An advertising post needs its erid before it is sent."), "erid"
            ))  # fmt: skip
        return problems

    # --- the connection -----------------------------------------------------------------------
    def test(self, target: Target) -> Outcome:
        """The bot (GET /me), the chat (status must be active) and the bot's membership in it
        (an administrator with `write`)."""
        chat = chat_id(target.handle)
        if chat is None:
            return _bad_handle(target)
        try:
            with _client(target) as api:
                me = api.get("/me")
                info = api.get(f"/chats/{chat}")
                member = {}
                if info.get("status") == "active":
                    member = api.get(f"/chats/{chat}/members/me")
        except (MaxError, MaxHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        permissions = list(member.get("permissions") or [])
        data = {
            "id": info.get("chat_id"), "title": info.get("title") or "",
            "type": info.get("type", ""), "status": info.get("status", ""),
            "members": info.get("participants_count"), "link": info.get("link") or "",
            "bot": me.get("username") or me.get("first_name") or me.get("name") or "",
            "is_admin": bool(member.get("is_admin")), "permissions": permissions,
        }  # fmt: skip
        if info.get("status") != "active":
            reason = _("The bot is no longer in this MAX channel (status: %(status)s): add it "
                       "back as an administrator.") % {"status": info.get("status")}  # fmt: skip
            return Outcome(OutcomeKind.AUTH_LOST, reason=reason, data=data)
        if not (member.get("is_owner") or (member.get("is_admin") and "write" in permissions)):
            reason = _("The bot is not an administrator of this MAX channel with the right to "
                       "write: give it that right.")  # fmt: skip
            return Outcome(OutcomeKind.AUTH_LOST, reason=reason, data=data)
        return Outcome(OutcomeKind.PUBLISHED, external_id=str(info.get("chat_id")),
                       url=data["link"], data=data)  # fmt: skip

    # --- posting ------------------------------------------------------------------------------
    def publish(self, target: Target, post: Post) -> Outcome:
        chat = chat_id(target.handle)
        if chat is None:
            return _bad_handle(target)
        try:
            with _client(target) as api:
                attachments = _upload_media(api, post.media)
                body = {"text": marked_text(post).strip() or None, "notify": True}
                if attachments:
                    body["attachments"] = attachments
                try:
                    answer = _send(api, "POST", "/messages", {"chat_id": chat}, body)
                except httpx.HTTPError as exc:
                    return transport_outcome(exc)  # only the message itself may be UNKNOWN
        except (MaxError, MaxHttpError) as exc:
            return _failure(exc)
        except httpx.HTTPError as exc:  # while uploading: nothing is in the channel
            return Outcome(OutcomeKind.TRANSIENT, detail=f"{type(exc).__name__}: {exc}"[:500])
        message = answer.get("message") or {}
        mid = str((message.get("body") or {}).get("mid") or "")
        return Outcome(
            OutcomeKind.PUBLISHED, external_id=mid, url=message.get("url") or "",
            detail=f"POST /messages: mid {mid}", data={"attachments": len(attachments)},
        )  # fmt: skip

    def edit(self, target: Target, external_id: str, post: Post) -> Outcome:
        """The text and the media as the post has them now (no media removes the old ones)."""
        try:
            with _client(target) as api:
                attachments = _upload_media(api, post.media)
                body = {"text": marked_text(post).strip() or None, "attachments": attachments}
                answer = _send(api, "PUT", "/messages", {"message_id": external_id}, body)
        except MaxError as exc:
            if exc.status == 404 and "chat" not in exc.message.lower():
                return Outcome(OutcomeKind.NOT_FOUND, external_id=external_id, detail=exc.detail)
            return _failure(exc)
        except (MaxHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        if not answer.get("success", True):
            return _refused(answer, "PUT /messages")
        return Outcome(OutcomeKind.PUBLISHED, external_id=external_id, detail="PUT /messages")

    def delete(self, target: Target, external_id: str) -> Outcome:
        """PUBLISHED (ok) when the post is gone, NOT_FOUND when it already was."""
        try:
            with _client(target) as api:
                answer = api.request("DELETE", "/messages", {"message_id": external_id})
        except MaxError as exc:
            if exc.status == 404:
                return Outcome(OutcomeKind.NOT_FOUND, external_id=external_id, detail=exc.detail)
            return _failure(exc)
        except (MaxHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        if not answer.get("success", True):
            return _refused(answer, "DELETE /messages")
        return Outcome(OutcomeKind.PUBLISHED, external_id=external_id, detail="DELETE /messages")

    def find(self, target: Target, post: Post, sent_after: dt.datetime) -> Outcome:
        """Reads the channel back (newest first) for a message with this text (or, without text,
        as many attachments) made after `sent_after`."""
        want = normal_text(marked_text(post))
        since = sent_after.timestamp() - FIND_SLACK
        try:
            for message in self._messages(target, since, FIND_PAGES * PAGE):
                body = message.get("body") or {}
                same = normal_text(body.get("text") or "") == want
                if same and not want:
                    attached = [a for a in body.get("attachments") or []
                                if a.get("type") != "inline_keyboard"]  # fmt: skip
                    same = len(attached) == len(post.media)
                if same:
                    return Outcome(
                        OutcomeKind.PUBLISHED, external_id=str(body.get("mid")),
                        url=message.get("url") or "", detail="found in the channel",
                    )  # fmt: skip
        except _TooFar:
            return Outcome(OutcomeKind.UNKNOWN, detail="too many posts since; not read that far")
        except (MaxError, MaxHttpError) as exc:
            return _failure(exc)
        except httpx.HTTPError as exc:
            return Outcome(OutcomeKind.UNKNOWN, detail=f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(OutcomeKind.NOT_FOUND, detail="not in the channel")

    def recent_posts(self, target: Target, since: dt.datetime, limit: int = 500) -> list[dict]:
        """The channel's messages since `since`, newest first: for picking up posts made by hand.
        Each: external_id, url, date (aware), text, views. Unlike the contract's methods it
        raises (MaxError, MaxHttpError, httpx errors): the caller decides."""
        posts = []
        try:
            for message in self._messages(target, since.timestamp(), limit):
                body = message.get("body") or {}
                posts.append({
                    "external_id": str(body.get("mid")), "url": message.get("url") or "",
                    "date": dt.datetime.fromtimestamp(message.get("timestamp", 0) / 1000, dt.UTC),
                    "text": body.get("text") or "",
                    "views": (message.get("stat") or {}).get("views"),
                })  # fmt: skip
        except _TooFar:
            pass
        return posts

    def _messages(self, target: Target, since: float, limit: int) -> Iterable[dict]:
        """Messages of the channel made at `since` (unix seconds) or later, newest first;
        raises _TooFar when `limit` were read and older ones may still match."""
        chat = chat_id(target.handle)
        if chat is None:
            raise MaxError(404, "chat.not.found", "the channel's address is not a chat id")
        read, before = 0, None
        with _client(target) as api:
            while True:
                page = api.get("/messages", chat_id=chat, count=PAGE, before=before)
                messages = page.get("messages") or []
                for message in messages:
                    if message.get("timestamp", 0) / 1000 < since:
                        return
                    yield message
                read += len(messages)
                if len(messages) < PAGE:
                    return
                if read >= limit:
                    raise _TooFar
                before = messages[-1].get("timestamp", 0) - 1

    # --- figures ------------------------------------------------------------------------------
    def fetch_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Mapping[str, dict]:
        return self.collect_post_metrics(target, external_ids).metrics

    def collect_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Collected:
        """Views (`stat.views`) of up to 100 messages a call; a message MAX no longer has is
        simply absent."""
        found = Collected()
        ids = list(dict.fromkeys(str(i) for i in external_ids))
        chat = chat_id(target.handle)
        try:
            with _client(target) as api:
                try:
                    for start in range(0, len(ids), PAGE):
                        chunk = ids[start : start + PAGE]
                        page = api.get("/messages", chat_id=chat, message_ids=chunk,
                                       count=len(chunk))  # fmt: skip
                        for message in page.get("messages") or []:
                            mid = str((message.get("body") or {}).get("mid"))
                            views = (message.get("stat") or {}).get("views")
                            if mid in ids:
                                found.metrics[mid] = {} if views is None else {"views": int(views)}
                finally:
                    found.requests = api.calls
        except (MaxError, MaxHttpError, httpx.HTTPError) as exc:
            found.problem = _failure(exc)
        return found

    def fetch_channel_day(self, target: Target, day: dt.date) -> dict:
        return self.collect_channel_day(target, day).metrics

    def collect_channel_day(self, target: Target, day: dt.date) -> Collected:
        """`followers` now (`participants_count`): MAX keeps no history of the audience, so a
        day's figure is the one read on that day."""
        found = Collected()
        chat = chat_id(target.handle)
        if chat is None:
            found.problem = _bad_handle(target)
            return found
        try:
            with _client(target) as api:
                try:
                    info = api.get(f"/chats/{chat}")
                finally:
                    found.requests = api.calls
        except (MaxError, MaxHttpError, httpx.HTTPError) as exc:
            found.problem = _failure(exc)
            return found
        if info.get("status") != "active":
            found.problem = Outcome(OutcomeKind.AUTH_LOST, detail=f"status {info.get('status')}")
        if info.get("participants_count") is not None:
            found.metrics["followers"] = int(info["participants_count"])
        return found


class _TooFar(Exception):
    """More messages since the moment than we read back."""


# --- helpers ----------------------------------------------------------------------------------


def _client(target: Target) -> MaxClient:
    return MaxClient(target.credentials.get("bot_token", ""), target.base_url, target.timeout)


def _upload_media(api: MaxClient, media: Sequence[MediaFile]) -> list[dict]:
    """The attachments of the media, in their order: `{"type", "payload"}` each."""
    attachments = []
    for item in media:
        kind = UPLOAD_TYPE[item.kind]
        payload = api.upload(kind, item.name, item.read(), item.content_type)
        attachments.append({"type": kind, "payload": payload})
    return attachments


def _send(api: MaxClient, verb: str, path: str, params: dict, body: dict) -> dict:
    """The request, again after a pause while MAX is still processing an attached video."""
    for pause in NOT_READY_PAUSES:
        try:
            return api.request(verb, path, params, body)
        except MaxError as exc:
            if exc.code != "attachment.not.ready":
                raise
            time.sleep(pause)
    return api.request(verb, path, params, body)


def _media_problems(media: MediaFile) -> list[Problem]:
    limits = {
        "photo": (IMAGE_TYPES, IMAGE_MAX_BYTES, _("MAX takes images as JPG, PNG, GIF, TIFF, BMP "
                                                  "or HEIC; “%(name)s” is not one.")),
        "video": (VIDEO_TYPES, VIDEO_MAX_BYTES, _("MAX takes video as MP4, MOV, MKV or WebM; "
                                                  "“%(name)s” is not one.")),
        "document": (None, FILE_MAX_BYTES, ""),
    }  # fmt: skip
    if media.kind not in limits:
        return [Problem(
            "unsupported_media",
            _("Zveno posts images, video and files to MAX; “%(name)s” is none of them.")
            % {"name": media.name}, "media",
        )]  # fmt: skip
    types, max_bytes, wrong_type = limits[media.kind]
    if types is not None and media.content_type not in types:
        return [Problem("unsupported_media", wrong_type % {"name": media.name}, "media")]
    if media.size > max_bytes:
        return [Problem(
            "media_too_large",
            _("“%(name)s” is larger than the %(mb)s MB MAX takes for it.")
            % {"name": media.name, "mb": max_bytes // 2**20}, "media",
        )]  # fmt: skip
    return []


def _bad_handle(target: Target) -> Outcome:
    reason = _("A MAX channel is addressed by its chat id (a number such as -1234567890); "
               "“%(handle)s” is not one.") % {"handle": target.handle}  # fmt: skip
    return Outcome(OutcomeKind.AUTH_LOST, reason=reason, detail="handle is not a chat id")


def _refused(answer: Mapping, method: str) -> Outcome:
    said = str(answer.get("message") or "")
    reason = _("MAX refused the post: %(message)s") % {"message": said}
    return Outcome(OutcomeKind.REJECTED, reason=reason, detail=f"{method}: {said}"[:500])


def _failure(exc: Exception) -> Outcome:
    """A MAX error (or a transport one) in the one vocabulary, with a reason for people."""
    K = OutcomeKind
    if isinstance(exc, httpx.HTTPError):
        return transport_outcome(exc)
    if isinstance(exc, MaxHttpError):
        if exc.status >= 500:
            reason = _("MAX answered with an error (HTTP %(status)s); it will be tried "
                       "again.") % {"status": exc.status}  # fmt: skip
            return Outcome(K.TRANSIENT, reason=reason, detail=str(exc)[:500],
                           status_code=exc.status)  # fmt: skip
        reason = _("MAX did not understand the request (HTTP %(status)s).") % {"status": exc.status}
        return Outcome(K.REJECTED, reason=reason, detail=str(exc)[:500], status_code=exc.status)
    assert isinstance(exc, MaxError)
    status, said = exc.status, f"{exc.code} {exc.message}".lower()
    retry_after = None
    if status == 429:
        kind, retry_after = K.RATE_LIMITED, exc.retry_after or 1.0
        reason = _("MAX asks to slow down; the post waits %(n)s s.") % {"n": int(retry_after)}
    elif status == 401:
        kind = K.AUTH_LOST
        reason = _("MAX no longer accepts the bot's token: enter a new one.")
    elif status == 403:
        kind = K.AUTH_LOST
        reason = _("The bot was removed from the MAX channel or may not write there: add it back "
                   "as an administrator with the right to write.")  # fmt: skip
    elif status == 404:
        kind = K.AUTH_LOST
        reason = _("MAX does not know this channel, or the bot is not in it: check the chat id.")
    elif status >= 500:
        kind = K.TRANSIENT
        reason = _("MAX had an internal error; it will be tried again.")
    elif exc.code == "attachment.not.ready":
        kind = K.TRANSIENT
        reason = _("MAX is still processing a video of the post; it will be tried again.")
    elif "text" in said and ("size" in said or "long" in said or "length" in said):
        kind = K.REJECTED
        reason = _("MAX refused the post: the text is longer than %(n)s characters.") % {
            "n": TEXT_LIMIT
        }
    else:
        kind = K.REJECTED
        reason = _("MAX refused the post: %(message)s") % {"message": exc.message or exc.code}
    return Outcome(kind, retry_after=retry_after, reason=reason, detail=exc.detail,
                   status_code=status)  # fmt: skip
