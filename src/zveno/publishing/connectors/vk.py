"""VK communities: posts on the wall of a community with a user token of its admin or editor.

Facts (APIS.md §2): v5.199, errors come with HTTP 200 in an envelope, photos go through three
steps (upload server → multipart upload → saveWallPhoto), video through two (video.save → upload),
an album is several `photo…` attachments of one post. `guid` makes VK keep one post per
publication; after an unknown outcome the wall is read back and the post matched on its text and
time (`find`), so nothing is sent twice blindly.

External ids are "<owner_id>_<post_id>" ("-123_4321"), the form `wall.getById` takes.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.publishing.clients.vk import VkClient, VkError, VkHttpError
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

TEXT_LIMIT = 16384  # commonly cited; not in the schema (APIS.md ◐)
ATTACHMENT_LIMIT = 10
PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif"}
PHOTO_MAX_BYTES = 50 * 1024 * 1024
SCOPES = ("wall", "photos", "video", "groups", "stats", "offline")
SCOPE_BITS = {"photos": 4, "video": 16, "wall": 8192, "offline": 65536, "groups": 262144,
              "stats": 1048576}  # fmt: skip  # account.getAppPermissions
EDITOR_LEVEL = 2  # groups.getById admin_level: 1 moderator, 2 editor, 3 administrator
BY_ID_BATCH = 100  # wall.getById
REACH_BATCH = 30  # stats.getPostReach
FIND_PAGES = 10  # wall.get pages of 100 read back when reconciling (~3.4 s at 3 calls a second)
FIND_SLACK = 120  # seconds: the network's clock against ours
FLOOD_WAIT = 60.0  # error 9: VK says no figure; wait a minute (retried through the scheduler)
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
URL = re.compile(r"https?://\S+|(?<!\S)vk\.(?:com|ru)/\S+", re.IGNORECASE)


def group_id(handle: str) -> int | None:
    """The community's positive id from "-123", "123", "club123", "public123" or a vk.com URL."""
    text = (handle or "").strip().rstrip("/")
    text = re.sub(r"^(https?://)?(m\.)?vk\.(com|ru)/", "", text, flags=re.IGNORECASE)
    match = re.fullmatch(r"(?:-|club|public|event)?(\d+)", text)
    return int(match.group(1)) if match else None


def message_of(post: Post) -> str:
    """The text as it goes on the wall: an ad gets its marker and erid if the text lacks them."""
    return marked_text(post)


def post_url(owner_id: int, post_id: int) -> str:
    return f"https://vk.com/wall{owner_id}_{post_id}"


class VkConnector:
    network = "vk"
    can_read_back = True

    # --- before sending -----------------------------------------------------------------------
    def validate(self, post: Post) -> list[Problem]:
        problems: list[Problem] = []
        text = message_of(post)
        if not text.strip() and not post.media:
            problems.append(Problem("empty", _("The post has neither text nor media."), "text"))
        if len(text) > TEXT_LIMIT:
            problems.append(Problem(
                "text_too_long",
                _("VK takes up to %(limit)s characters in a post; this one has %(n)s.")
                % {"limit": TEXT_LIMIT, "n": len(text)}, "text",
            ))  # fmt: skip
        if len(post.media) > ATTACHMENT_LIMIT:
            problems.append(Problem(
                "too_many_media",
                _("VK takes up to %(limit)s attachments in a post; this one has %(n)s.")
                % {"limit": ATTACHMENT_LIMIT, "n": len(post.media)}, "media",
            ))  # fmt: skip
        problems += [p for media in post.media for p in _media_problems(media)]
        if post.is_ad and not post.erid:
            problems.append(Problem(
                "missing_erid", _("An advertising post needs its erid before it is sent."), "erid"
            ))  # fmt: skip
        return problems

    # --- the connection -----------------------------------------------------------------------
    def test(self, target: Target) -> Outcome:
        """The community (name, members) and the token's rights: editor or admin, six scopes."""
        try:
            with _client(target) as vk:
                gid = _resolve(vk, target)
                groups = vk.call("groups.getById", group_id=gid, fields="members_count")
                group = (groups.get("groups") or [{}])[0]
                mask = int(vk.call("account.getAppPermissions") or 0)
        except (VkError, VkHttpError, httpx.HTTPError) as exc:
            return _failure(exc)
        missing = [scope for scope in SCOPES if not mask & SCOPE_BITS[scope]]
        level = int(group.get("admin_level") or 0) if group.get("is_admin") else 0
        data = {
            "id": group.get("id"), "title": group.get("name", ""),
            "members": group.get("members_count"), "admin_level": level,
            "scopes": [s for s in SCOPES if mask & SCOPE_BITS[s]], "missing_scopes": missing,
        }  # fmt: skip
        if level < EDITOR_LEVEL:
            reason = _("The token's owner is not an administrator or editor of this community.")
            return Outcome(OutcomeKind.AUTH_LOST, reason=reason, data=data)
        if missing:
            reason = _("The token lacks the rights: %(scopes)s. Connect it again with them.") % {
                "scopes": ", ".join(missing)
            }
            return Outcome(OutcomeKind.AUTH_LOST, reason=reason, data=data)
        url = f"https://vk.com/club{group.get('id')}"
        return Outcome(OutcomeKind.PUBLISHED, external_id=str(group.get("id")), url=url, data=data)

    # --- posting ------------------------------------------------------------------------------
    def publish(self, target: Target, post: Post) -> Outcome:
        try:
            with _client(target) as vk:
                gid = _resolve(vk, target)
                attachments = _upload_media(vk, gid, post.media)
                params = {
                    "owner_id": -gid, "from_group": 1, "message": message_of(post),
                    "attachments": ",".join(attachments) or None, "guid": post.guid or None,
                    "mark_as_ads": 1 if post.is_ad else None,
                }  # fmt: skip
                try:
                    answer = vk.call("wall.post", **params)
                except httpx.HTTPError as exc:
                    return transport_outcome(exc)  # sent or not: only wall.post may be UNKNOWN
        except (VkError, VkHttpError) as exc:
            return _failure(exc)
        except httpx.HTTPError as exc:  # before wall.post (uploads): nothing is on the wall
            return Outcome(OutcomeKind.TRANSIENT, detail=f"{type(exc).__name__}: {exc}"[:500])
        post_id = int(answer["post_id"])
        return Outcome(
            OutcomeKind.PUBLISHED, external_id=f"{-gid}_{post_id}", url=post_url(-gid, post_id),
            detail=f"wall.post: post_id {post_id}", data={"attachments": attachments},
        )  # fmt: skip

    def edit(self, target: Target, external_id: str, post: Post) -> Outcome:
        owner_id, post_id = _split(external_id)
        try:
            with _client(target) as vk:
                attachments = _upload_media(vk, abs(owner_id), post.media)
                vk.call(
                    "wall.edit", owner_id=owner_id, post_id=post_id, message=message_of(post),
                    attachments=",".join(attachments) or None,
                )  # fmt: skip
        except (VkError, VkHttpError) as exc:
            return _failure(exc)
        except httpx.HTTPError as exc:
            return transport_outcome(exc)
        return Outcome(
            OutcomeKind.PUBLISHED, external_id=external_id, url=post_url(owner_id, post_id)
        )

    def delete(self, target: Target, external_id: str) -> Outcome:
        """PUBLISHED (ok) when the post is gone from the wall, NOT_FOUND when it already was."""
        owner_id, post_id = _split(external_id)
        try:
            with _client(target) as vk:
                vk.call("wall.delete", owner_id=owner_id, post_id=post_id)
        except VkError as exc:
            if exc.code == 210:
                return Outcome(OutcomeKind.NOT_FOUND, external_id=external_id, detail=exc.detail)
            return _failure(exc)
        except VkHttpError as exc:
            return _failure(exc)
        except httpx.HTTPError as exc:
            return transport_outcome(exc)
        return Outcome(OutcomeKind.PUBLISHED, external_id=external_id, detail="wall.delete: 1")

    def find(self, target: Target, post: Post, sent_after: dt.datetime) -> Outcome:
        """Reads the wall back (newest first, `wall.get` pages of 100, VK's most) for a post with
        this text made after `sent_after`: VK cannot be asked for a post by its guid. NOT_FOUND
        only when every post since was read; UNKNOWN when there were more than `FIND_PAGES`
        pages of them, or reading took longer than one request may (the lease must outlive it)."""
        want = _normal(message_of(post))
        since = sent_after.timestamp() - FIND_SLACK
        deadline = time.monotonic() + target.timeout
        try:
            with _client(target) as vk:
                gid = _resolve(vk, target)
                for page in range(FIND_PAGES):
                    if page and time.monotonic() > deadline:
                        break
                    wall = vk.call("wall.get", owner_id=-gid, count=100, offset=page * 100)
                    items = wall.get("items") or []
                    for item in items:
                        if item.get("date", 0) >= since and _normal(item.get("text", "")) == want:
                            post_id = int(item["id"])
                            return Outcome(
                                OutcomeKind.PUBLISHED, external_id=f"{-gid}_{post_id}",
                                url=post_url(-gid, post_id), detail="found on the wall",
                            )  # fmt: skip
                    older = [i for i in items if not i.get("is_pinned")]
                    total = wall.get("count")  # the wall's posts: past them there is nothing
                    read_all = len(items) < 100 or (
                        total is not None and page * 100 + len(items) >= int(total)
                    )
                    if read_all or (older and older[-1].get("date", 0) < since):
                        return Outcome(OutcomeKind.NOT_FOUND, detail="not on the wall")
        except (VkError, VkHttpError) as exc:
            return _failure(exc)
        except httpx.HTTPError as exc:
            return Outcome(OutcomeKind.UNKNOWN, detail=f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(OutcomeKind.UNKNOWN, detail="too many posts since; not read that far")

    # --- figures ------------------------------------------------------------------------------
    def fetch_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Mapping[str, dict]:
        return self.collect_post_metrics(target, external_ids).metrics

    def collect_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Collected:
        """Counters by `wall.getById` (100 posts a call) and reach by `stats.getPostReach` (30 a
        call, per community); a post VK refuses (210) keeps its counters without reach."""
        found = Collected()
        ids = list(dict.fromkeys(external_ids))
        try:
            with _client(target) as vk:
                try:
                    for chunk in _chunks(ids, BY_ID_BATCH):
                        answer = _patient(vk, found, "wall.getById", posts=",".join(chunk))
                        for item in answer.get("items") or []:
                            found.metrics[f"{item['owner_id']}_{item['id']}"] = _counters(item)
                    by_owner: dict[int, list[int]] = {}
                    for key in found.metrics:
                        owner_id, post_id = _split(key)
                        by_owner.setdefault(owner_id, []).append(post_id)
                    for owner_id, post_ids in by_owner.items():
                        for chunk in _chunks(post_ids, REACH_BATCH):
                            self._reach(vk, found, owner_id, chunk)
                finally:
                    found.requests = vk.calls
        except (VkError, VkHttpError) as exc:
            found.problem = _failure(exc)
        except httpx.HTTPError as exc:
            found.problem = transport_outcome(exc)
        return found

    def _reach(self, vk: VkClient, found: Collected, owner_id: int, post_ids: list[int]) -> None:
        try:
            rows = _patient(vk, found, "stats.getPostReach", owner_id=owner_id, post_ids=post_ids)
        except VkError as exc:
            if exc.code != 210 or len(post_ids) == 1:
                if exc.code in (210, 15, 7):  # no access to these figures: counters stay
                    found.problem = found.problem or _failure(exc)
                    return
                raise
            for post_id in post_ids:  # one post refused: the others still get their reach
                self._reach(vk, found, owner_id, [post_id])
            return
        for row in rows or []:
            key = f"{owner_id}_{row.get('post_id')}"
            reach = {k: row[k] for k in REACH_KEYS if k in row}
            found.metrics.setdefault(key, {}).update(reach)

    def fetch_channel_day(self, target: Target, day: dt.date) -> dict:
        return self.collect_channel_day(target, day).metrics

    def collect_channel_day(self, target: Target, day: dt.date) -> Collected:
        """The community's day (Moscow, as VK counts) in `metrics`: followers now, reach,
        visitors, views, subscribed and unsubscribed; absent keys are figures VK did not give,
        and `problem` says why (a lost token, no stats right)."""
        start = dt.datetime.combine(day, dt.time(), MOSCOW)
        found, figures = Collected(), {}
        periods: list = []
        try:
            with _client(target) as vk:
                try:
                    gid = _resolve(vk, target)
                    answer = _patient(vk, found, "groups.getById", group_id=gid,
                                      fields="members_count")  # fmt: skip
                    group = (answer.get("groups") or [{}])[0]
                    if group.get("members_count") is not None:
                        figures["followers"] = int(group["members_count"])
                    periods = _patient(
                        vk, found, "stats.get", group_id=gid,
                        timestamp_from=int(start.timestamp()),
                        timestamp_to=int((start + dt.timedelta(days=1)).timestamp()) - 1,
                        interval="day", stats_groups="visitors,reach,activity",
                    )  # fmt: skip
                finally:
                    found.requests = vk.calls
        except (VkError, VkHttpError) as exc:
            found.problem = _failure(exc)
        except httpx.HTTPError as exc:
            found.problem = transport_outcome(exc)
        for period in periods or []:
            begins = dt.datetime.fromtimestamp(int(period.get("period_from", 0)), MOSCOW)
            if begins.date() != day:
                continue
            reach, visitors = period.get("reach") or {}, period.get("visitors") or {}
            activity = period.get("activity") or {}
            pairs = {
                "reach": reach.get("reach"), "reach_subscribers": reach.get("reach_subscribers"),
                "visitors": visitors.get("visitors"), "views": visitors.get("views"),
                "subscribed": activity.get("subscribed"),
                "unsubscribed": activity.get("unsubscribed"),
            }  # fmt: skip
            figures.update({k: int(v) for k, v in pairs.items() if v is not None})
        found.metrics = figures
        return found

    def recent_posts(self, target: Target, since: dt.datetime, limit: int = 500) -> list[dict]:
        """The same as `wall_posts`, under the name every connector that can read back uses."""
        return self.wall_posts(target, since, limit)

    def wall_posts(self, target: Target, since: dt.datetime, limit: int = 500) -> list[dict]:
        """The wall's posts made since `since`, newest first (pinned ones included once): for
        picking up posts made by hand. Each: external_id, url, date (aware), text. Unlike the
        contract's methods it raises (VkError, VkHttpError, httpx errors): the caller decides."""
        posts: list[dict] = []
        with _client(target) as vk:
            gid = _resolve(vk, target)
            for offset in range(0, limit, 100):
                items = vk.call("wall.get", owner_id=-gid, count=100, offset=offset)
                items = items.get("items") or []
                for item in items:
                    date = dt.datetime.fromtimestamp(int(item.get("date", 0)), dt.UTC)
                    if date >= since and item.get("post_type", "post") == "post":
                        posts.append({
                            "external_id": f"{-gid}_{item['id']}", "date": date,
                            "url": post_url(-gid, int(item["id"])), "text": item.get("text", ""),
                        })  # fmt: skip
                older = [i for i in items if not i.get("is_pinned")]
                if len(items) < 100 or (older and older[-1].get("date", 0) < since.timestamp()):
                    break
        return posts


REACH_KEYS = ("reach_total", "reach_subscribers", "reach_viral", "reach_ads", "links", "to_group",
              "join_group", "hide", "unsubscribe")  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------


def _client(target: Target) -> VkClient:
    # VK allows 3 calls a second per user token; a test against a fake without limits may pace
    # at 0 (ZVENO_VK_MIN_INTERVAL) so a month of passes runs in seconds.
    pace = getattr(settings, "ZVENO_VK_MIN_INTERVAL", None)
    return VkClient(
        target.credentials.get("access_token", ""), target.base_url, target.timeout,
        **({} if pace is None else {"min_interval": float(pace)}),
    )  # fmt: skip


def _resolve(vk: VkClient, target: Target) -> int:
    """The community's id; a short name ("mycommunity") is asked of groups.getById once."""
    gid = group_id(target.handle)
    if gid is not None:
        return gid
    name = re.sub(r"^(https?://)?(m\.)?vk\.(com|ru)/", "", target.handle.strip().rstrip("/"))
    groups = vk.call("groups.getById", group_id=name).get("groups") or []
    if not groups:
        raise VkError(100, f"no community {name!r}", "groups.getById")
    return int(groups[0]["id"])


def _media_problems(media: MediaFile) -> list[Problem]:
    if media.kind == "photo":
        if media.content_type not in PHOTO_TYPES:
            return [Problem(
                "unsupported_media",
                _("VK takes photos as JPG, PNG or GIF; “%(name)s” is not one.")
                % {"name": media.name},
                "media",
            )]  # fmt: skip
        if media.size > PHOTO_MAX_BYTES:
            return [Problem(
                "media_too_large",
                _("“%(name)s” is larger than the 50 MB VK takes for a photo.")
                % {"name": media.name},
                "media",
            )]  # fmt: skip
        return []
    if media.kind == "video":
        return []
    return [Problem(
        "unsupported_media",
        _("Zveno posts photos and video to VK; “%(name)s” is neither.") % {"name": media.name},
        "media",
    )]  # fmt: skip


def _upload_media(vk: VkClient, gid: int, media: Sequence[MediaFile]) -> list[str]:
    """Attachments "photo-123_456", "video-123_789" in the order of the media."""
    attachments: list[str] = []
    server = None
    for item in media:
        if item.kind == "video":
            saved = vk.call("video.save", group_id=gid, name=item.name, wallpost=0)
            vk.upload(saved["upload_url"], "video_file", item.name, item.read(), item.content_type)
            attachments.append(f"video{saved['owner_id']}_{saved['video_id']}")
            continue
        if server is None:
            server = vk.call("photos.getWallUploadServer", group_id=gid)["upload_url"]
        uploaded = vk.upload(server, "photo", item.name, item.read(), item.content_type)
        photos = vk.call(
            "photos.saveWallPhoto", group_id=gid, server=uploaded.get("server"),
            photo=uploaded.get("photo"), hash=uploaded.get("hash"),
        )  # fmt: skip
        attachments += [f"photo{p['owner_id']}_{p['id']}" for p in photos]
    return attachments


def _patient(vk: VkClient, found: Collected, method: str, **params):
    """A read call that waits out error 6 (one second, as VK's limit is per second), 5 times."""
    for _attempt in range(5):
        try:
            return vk.call(method, **params)
        except VkError as exc:
            if exc.code != 6:
                raise
            found.waits += 1.0
            time.sleep(1.0)
    return vk.call(method, **params)


def _counters(item: dict) -> dict:
    figures = {}
    for key in ("views", "likes", "comments", "reposts"):
        value = (item.get(key) or {}).get("count")
        if value is not None:
            figures[key] = int(value)
    return figures


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _split(external_id: str) -> tuple[int, int]:
    owner, _sep, post = external_id.rpartition("_")
    return int(owner), int(post)


def _normal(text: str) -> str:
    return " ".join((text or "").split())


def _seconds_to_moscow_midnight() -> float:
    now = dt.datetime.now(MOSCOW)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), MOSCOW)
    return max(60.0, (midnight - now).total_seconds())


def _failure(exc: Exception) -> Outcome:
    """A VK error (or an HTTP one) in the one vocabulary, with a reason for people."""
    if isinstance(exc, httpx.HTTPError):
        return transport_outcome(exc)
    if isinstance(exc, VkHttpError):
        kind = OutcomeKind.TRANSIENT if exc.status >= 500 else OutcomeKind.REJECTED
        reason = _("VK answered with an error (HTTP %(status)s); it will be tried again.") % {
            "status": exc.status
        }
        if kind is OutcomeKind.REJECTED:
            reason = _("VK did not understand the request (HTTP %(status)s).") % {
                "status": exc.status
            }
        return Outcome(kind, reason=reason, detail=str(exc)[:500], status_code=exc.status)
    assert isinstance(exc, VkError)
    kind, reason, retry_after = _classify(exc)
    return Outcome(kind, retry_after=retry_after, reason=reason, detail=exc.detail)


def _classify(exc: VkError) -> tuple[OutcomeKind, str, float | None]:
    code, message = exc.code, exc.message.lower()
    if code == 214 and "50 posts" in message:
        kind, reason, wait = DAILY_LIMIT
    elif code == 214 and "closed" in message:
        kind, reason, wait = WALL_CLOSED
    else:
        kind, reason, wait = ERRORS.get(code, (OutcomeKind.REJECTED, None, None))
    if reason is None:
        return kind, _("VK refused the post: %(message)s") % {"message": exc.message}, None
    retry_after = _seconds_to_moscow_midnight() if wait == "midnight" else wait
    return kind, str(reason), retry_after


K = OutcomeKind
# code -> (outcome, reason for people, seconds to wait or "midnight" in Moscow, VK's day)
ERRORS: dict[int, tuple[OutcomeKind, object, float | str | None]] = {
    1: (K.TRANSIENT, gettext_lazy("VK had an internal error; it will be tried again."), None),
    10: (K.TRANSIENT, gettext_lazy("VK had an internal error; it will be tried again."), None),
    5: (K.AUTH_LOST, gettext_lazy("VK no longer accepts the token: connect the community again."),
        None),
    6: (K.RATE_LIMITED,
        gettext_lazy("Too many requests to VK a second; trying again in a moment."), 1.0),
    9: (K.RATE_LIMITED,
        gettext_lazy("VK's flood control stopped the post; it will be tried again later."),
        FLOOD_WAIT),
    14: (K.RATE_LIMITED, gettext_lazy("VK asks for a captcha; it will be tried again later."),
         FLOOD_WAIT),
    29: (K.RATE_LIMITED,
         gettext_lazy("VK's daily quota for this method is used up; trying again tomorrow."),
         "midnight"),
    7: (K.AUTH_LOST, gettext_lazy(
        "The token has no right to post in this community: connect it again as an "
        "administrator or editor."), None),
    17: (K.AUTH_LOST, gettext_lazy(
        "VK asks the token's owner to confirm the account: connect the community again."), None),
    210: (K.REJECTED,
          gettext_lazy("VK refuses access to this post (it may have been deleted)."), None),
    214: (K.REJECTED, gettext_lazy("VK refused to add the post to the wall."), None),
    219: (K.REJECTED,
          gettext_lazy("VK refused the post: an advertising post was added recently."), None),
    222: (K.REJECTED, gettext_lazy("This community does not allow links in posts."), None),
    121: (K.REJECTED, gettext_lazy("VK refused a photo of the post."), None),
    129: (K.REJECTED, gettext_lazy("VK refused a photo of the post."), None),
}  # fmt: skip
ERRORS[15] = ERRORS[27] = ERRORS[203] = ERRORS[7]
DAILY_LIMIT = (
    K.RATE_LIMITED,
    gettext_lazy("VK allows 50 posts a day per community; the post waits for the next day."),
    "midnight",
)
WALL_CLOSED = (
    K.AUTH_LOST,
    gettext_lazy("The community's wall is closed: open it in the community's settings."),
    None,
)
