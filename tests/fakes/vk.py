"""A local VK API (v5.199) and VK ID token endpoint that behave as APIS.md §2 says.

- Always HTTP 200 with `{"response": …}` or `{"error": {"error_code", "error_msg", …}}` (faults of
  `server.FakeApi` aside: delay, 5xx, dropping the connection after the work is done).
- Methods: wall.post (with `guid` dedup), wall.edit, wall.delete, wall.get, wall.getById
  (`{items}`), photos.getWallUploadServer → upload (raw JSON, any file field) →
  photos.saveWallPhoto, video.save → upload, groups.getById (`{groups, profiles}`),
  account.getAppPermissions, stats.getPostReach (≤ 30 posts), stats.get.
- Errors: 5 (unknown or revoked token), 6 (over 3 requests a second per token), 15/203 (the token's
  user does not manage the community), 100 (bad parameters), 210 (no access to a post), 214 (over
  50 posts a day per community), and any code on demand with `fail_next(code)` (9, 219, …);
  `garble_next(method)` answers `{"response": null}` once.
  `limits=False` turns the two limits off (for throughput benchmarks).
- A clock of its own (`advance(days=…)`): statistics grow with it, so a month can be simulated.
- Tests read what arrived: `posts(group_id)`, `accepted[group_id]`, `photos`, `videos`, and may
  edit or delete a post "by hand" (`add_post`, `set_counters`, `remove_post`).
- VK ID: `/authorize` (approves at once for `oauth_user` and redirects with a code, `state` and
  `device_id`) and `/oauth2/auth` (the code for tokens, PKCE S256, redirect_uri and device_id
  checked; `grant_type=refresh_token` renews a pair, each refresh token once). Its access tokens
  expire after an hour of the fake's clock (error 5); `revoke_refresh_tokens()` refuses renewals.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlencode

from tests.fakes.server import FakeApi, Request, Response

# account.getAppPermissions bits (dev.vk.com "access rights" of a user token)
SCOPE_BITS = {
    "photos": 4,
    "video": 16,
    "wall": 8192,
    "offline": 65536,
    "groups": 262144,
    "stats": 1048576,
}
ALL_SCOPES = tuple(SCOPE_BITS)
MSK = 3 * 3600  # VK's day is Moscow's
MESSAGES = {
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    9: "Flood control",
    10: "Internal server error",
    14: "Captcha needed",
    15: "Access denied",
    100: "One of the parameters specified was missing or invalid",
    203: "Access to group denied",
    210: "Access to wall's post denied",
    214: "Access to adding post denied",
    219: "Advertisement post was recently added",
}


class VkFault(Exception):
    def __init__(self, code: int, message: str = "") -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, "Unknown error occurred")


@dataclass
class Token:
    user_id: int
    scopes: tuple[str, ...]
    manages: dict[int, int]  # group id -> admin_level (1 moderator, 2 editor, 3 administrator)
    revoked: bool = False
    expires_at: float | None = None  # VK ID's access tokens live an hour (the fake's clock)


@dataclass
class Group:
    id: int
    name: str
    members: int  # at the fake's time zero
    growth: int = 5  # members a day
    posts: dict[int, dict] = field(default_factory=dict)
    next_post_id: int = 1


class FakeVk(FakeApi):
    """The VK API on loopback. `limits=False`: no 3 req/s, no 50 posts a day."""

    def __init__(self, limits: bool = True, start: float | None = None) -> None:
        """`start`: the fake's time now (unix); by default the process's clock, so a pinned
        clock in a test is the network's clock too."""
        super().__init__()
        self.limits = limits
        # VK keeps one post per `guid`; a test turns that off to prove Zveno's own reconciliation
        # is what keeps a post from going out twice.
        self.honour_guid = True
        self.start_time = start if start is not None else time.time()
        self._offset = self.start_time - time.time()
        self._frozen: float | None = None
        self.tokens: dict[str, Token] = {}
        self.groups: dict[int, Group] = {}
        self.accepted: collections.Counter[int] = collections.Counter()  # posts per community
        self.photos: dict[str, dict] = {}  # "photo-123_456" -> {name, size, caption}
        self.videos: dict[str, dict] = {}  # "video-123_456" -> {name, size}
        self.calls: collections.Counter[str] = collections.Counter()  # API method -> calls
        self._uploads: dict[str, dict] = {}
        self._ids = itertools.count(457_239_017)
        self._recent: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._posted_days: dict[tuple[int, int], int] = collections.Counter()
        self._injected: list[tuple[str | None, int, str]] = []
        self._garbled: list[str] = []  # methods whose next answer is `{"response": null}`
        self._counters: dict[tuple[int, int], dict] = {}
        # VK ID
        self.client_id = "51000001"
        self.oauth_user = 700_001
        self.oauth_scopes: tuple[str, ...] = ALL_SCOPES
        self._codes: dict[str, dict] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> device id
        self.authorized: list[dict] = []  # the query of every /authorize visit
        self.refreshed = 0  # access tokens renewed with a refresh token

    # --- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def freeze(self) -> None:
        """Stop the fake's clock (until `advance` or `unfreeze`): a "second" lasts as long as the
        test needs, however slow the machine."""
        with self.lock:
            self._frozen = self.now()

    def unfreeze(self) -> None:
        with self.lock:
            self._offset, self._frozen = self.now() - time.time(), None

    def advance(self, seconds: float = 0, *, hours: float = 0, days: float = 0) -> None:
        """Move the fake's clock forward: statistics grow, the daily post limit resets."""
        with self.lock:
            step = seconds + hours * 3600 + days * 86400
            self._offset += step
            if self._frozen is not None:
                self._frozen += step

    def set_time(self, unix: float) -> None:
        with self.lock:
            self._offset = unix - time.time()
            if self._frozen is not None:
                self._frozen = unix

    # --- set-up and inspection by tests -------------------------------------------------------
    def add_group(self, group_id: int, name: str = "Сообщество", members: int = 1000) -> Group:
        with self.lock:
            self.groups[group_id] = Group(group_id, name, members)
            return self.groups[group_id]

    def add_token(
        self,
        token: str,
        user_id: int = 700_001,
        manages: dict[int, int] | None = None,
        scopes: tuple[str, ...] = ALL_SCOPES,
    ) -> str:
        with self.lock:
            self.tokens[token] = Token(user_id, tuple(scopes), dict(manages or {}))
        return token

    def revoke_refresh_tokens(self) -> None:
        """VK ID forgets every refresh token (the person revoked the app's access)."""
        with self.lock:
            self._refresh_tokens.clear()

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens[token].revoked = True

    def fail_next(self, code: int, method: str | None = None, times: int = 1, message: str = ""):
        """The next `times` calls (of `method`, or any) answer VK error `code`."""
        with self.lock:
            self._injected += [(method, code, message)] * times

    def garble_next(self, method: str) -> None:
        """The next call of `method` does nothing and answers `{"response": null}`: an answer of
        a shape no client expects."""
        with self.lock:
            self._garbled.append(method)

    def posts(self, group_id: int) -> list[dict]:
        """The community's live wall, newest first."""
        with self.lock:
            group = self.groups[group_id]
            live = [p for p in group.posts.values() if not p["deleted"]]
        return sorted(live, key=lambda p: (-p["date"], -p["id"]))

    def post(self, group_id: int, post_id: int) -> dict:
        return self.groups[group_id].posts[post_id]

    def add_post(self, group_id: int, text: str, date: float | None = None) -> dict:
        """A post made by hand on the wall (not through the API), e.g. for pick-up tests."""
        with self.lock:
            return self._new_post(self.groups[group_id], text, [], "", date or self.now())

    def remove_post(self, group_id: int, post_id: int) -> None:
        with self.lock:
            self.groups[group_id].posts[post_id]["deleted"] = True

    def set_counters(self, group_id: int, post_id: int, **counters: int) -> None:
        """Fix a post's figures (views, likes, reach_total, …) instead of the growth formula."""
        with self.lock:
            self._counters.setdefault((group_id, post_id), {}).update(counters)

    def method_calls(self, method: str) -> int:
        return self.calls[method]

    def target(self, group_id: int = 123, token: str = "vk-user-token", timeout: float = 5.0):
        """The connector's Target for a community of this fake."""
        from zveno.publishing.connectors.base import Target

        creds = {"access_token": token}
        return Target(f"-{group_id}", creds, f"{self.url}/method", timeout=timeout)

    # --- dispatch -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/upload/"):
            return self._upload(req)
        if req.path == "/authorize":
            return self._authorize(req)
        if req.path == "/oauth2/auth":
            return self._token_endpoint(req)
        match = re.fullmatch(r"/method/([A-Za-z]+\.[A-Za-z]+)", req.path)
        if not match:
            return Response.json({"error": "not found"}, status=404)
        method = match.group(1)
        params = {**req.query, **_form(req)}
        try:
            with self.lock:
                self.calls[method] += 1
                if method in self._garbled:
                    self._garbled.remove(method)
                    return Response.json({"response": None})
                return Response.json({"response": self._call(method, params, req)})
        except VkFault as fault:
            pairs = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
            pairs.append({"key": "v", "value": params.get("v", "")})
            error = {"error_code": fault.code, "error_msg": fault.message, "request_params": pairs}
            return Response.json({"error": error})

    def _call(self, method: str, params: dict, req: Request):
        token = self._token(params, req)
        for i, (only, code, message) in enumerate(self._injected):
            if only in (None, method):
                del self._injected[i]
                raise VkFault(code, message)
        self._rate(params, req)
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            raise VkFault(3, "Unknown method passed")
        if params.get("v") != "5.199":
            raise VkFault(100, MESSAGES[100] + ": v is required (5.199 expected)")
        return handler(params, token)

    def _token(self, params: dict, req: Request) -> Token:
        raw = params.get("access_token") or ""
        auth = req.headers.get("Authorization") or req.headers.get("authorization") or ""
        if not raw and auth.startswith("Bearer "):
            raw = auth[7:]
        token = self.tokens.get(raw)
        if token is None or token.revoked:
            raise VkFault(5)
        if token.expires_at is not None and self.now() >= token.expires_at:
            raise VkFault(5, "User authorization failed: access_token has expired.")
        return token

    def _rate(self, params: dict, req: Request) -> None:
        if not self.limits:
            return
        key = params.get("access_token") or req.headers.get("Authorization", "")
        window = self._recent[key]
        now = self.now()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= 3:
            raise VkFault(6)
        window.append(now)

    def _group(self, raw, token: Token, need: int = 2) -> Group:
        """The community of `group_id`/`owner_id`, which the token's user must manage."""
        try:
            group_id = abs(int(str(raw)))
        except (TypeError, ValueError):
            raise VkFault(100, MESSAGES[100] + ": owner_id is not an integer") from None
        group = self.groups.get(group_id)
        if group is None:
            raise VkFault(100, MESSAGES[100] + ": group_id is invalid")
        if token.manages.get(group_id, 0) < need:
            raise VkFault(15, "Access denied: you are not an editor of this community")
        return group

    @staticmethod
    def _need_scope(token: Token, scope: str) -> None:
        if scope not in token.scopes:
            raise VkFault(15, f"Access denied: no access to call this method (scope {scope})")

    # --- wall ---------------------------------------------------------------------------------
    def m_wall_post(self, params, token):
        self._need_scope(token, "wall")
        group = self._group(params.get("owner_id"), token)
        if str(params.get("owner_id", "")).lstrip("-") == str(params.get("owner_id")):
            raise VkFault(214, MESSAGES[214] + ": owner_id of a community is negative")
        text = params.get("message", "")
        attachments = _attachments(params.get("attachments", ""))
        if not text and not attachments:
            raise VkFault(100, MESSAGES[100] + ": message is empty or invalid")
        if len(text) > 16384:
            raise VkFault(100, MESSAGES[100] + ": message is too long")
        if len(attachments) > 10:
            raise VkFault(100, MESSAGES[100] + ": too many attachments")
        self._check_attachments(attachments)
        guid = params.get("guid", "")
        if guid and self.honour_guid:
            for post in group.posts.values():
                if post["guid"] == guid and not post["deleted"]:
                    return {"post_id": post["id"]}  # the same post again: VK's guid dedup
        now = self.now()
        day = int((now + MSK) // 86400)
        if self.limits and self._posted_days[(group.id, day)] >= 50:
            raise VkFault(214, MESSAGES[214] + ": you can only add 50 posts a day")
        self._posted_days[(group.id, day)] += 1
        post = self._new_post(group, text, attachments, guid, now)
        post["marked_as_ads"] = params.get("mark_as_ads") == "1"
        self.accepted[group.id] += 1
        return {"post_id": post["id"]}

    def _new_post(self, group: Group, text, attachments, guid, date) -> dict:
        post = {
            "id": group.next_post_id, "owner_id": -group.id, "from_id": -group.id,
            "date": int(date), "text": text, "attachments": attachments, "guid": guid,
            "deleted": False, "edited": None, "marked_as_ads": False,
        }  # fmt: skip
        group.next_post_id += 1
        group.posts[post["id"]] = post
        return post

    def _check_attachments(self, attachments: list[str]) -> None:
        for item in attachments:
            if item.startswith("photo") and item not in self.photos:
                raise VkFault(100, MESSAGES[100] + f": attachments: unknown {item}")
            if item.startswith("video") and item not in self.videos:
                raise VkFault(100, MESSAGES[100] + f": attachments: unknown {item}")

    def _live_post(self, group: Group, raw_id) -> dict:
        post = group.posts.get(int(raw_id or 0))
        if post is None or post["deleted"]:
            raise VkFault(210)
        return post

    def m_wall_edit(self, params, token):
        self._need_scope(token, "wall")
        group = self._group(params.get("owner_id"), token)
        post = self._live_post(group, params.get("post_id"))
        attachments = _attachments(params.get("attachments", ""))
        self._check_attachments(attachments)
        if "message" in params:
            post["text"] = params["message"]
        post["attachments"] = attachments
        post["edited"] = int(self.now())
        return {"post_id": post["id"]}

    def m_wall_delete(self, params, token):
        self._need_scope(token, "wall")
        group = self._group(params.get("owner_id"), token)
        self._live_post(group, params.get("post_id"))["deleted"] = True
        return 1

    def m_wall_get(self, params, token):
        group = self._group(params.get("owner_id"), token, need=0)
        count = min(int(params.get("count", 20)), 100)
        offset = int(params.get("offset", 0))
        wall = self.posts(group.id)
        return {"count": len(wall), "items": [self._item(p) for p in wall[offset : offset + count]]}

    def m_wall_getById(self, params, token):
        keys = [k for k in params.get("posts", "").split(",") if k]
        if len(keys) > 100:
            raise VkFault(100, MESSAGES[100] + ": posts: at most 100")
        items = []
        for key in keys:
            owner, _, post_id = key.partition("_")
            group = self.groups.get(abs(int(owner)))
            post = group.posts.get(int(post_id)) if group else None
            if post and not post["deleted"]:
                items.append(self._item(post))
        return {"items": items}

    def _item(self, post: dict) -> dict:
        figures = self._figures(post)
        item = {
            "id": post["id"], "owner_id": post["owner_id"], "from_id": post["from_id"],
            "date": post["date"], "text": post["text"], "post_type": "post",
            "likes": {"count": figures["likes"], "can_like": 1},
            "reposts": {"count": figures["reposts"], "wall_count": figures["reposts"],
                        "mail_count": 0},
            "comments": {"count": figures["comments"]},
            "views": {"count": figures["views"]},
            "attachments": [_attachment_object(a) for a in post["attachments"]],
            "marked_as_ads": int(post["marked_as_ads"]),
        }  # fmt: skip
        if post["edited"]:
            item["edited"] = post["edited"]
        return item

    def _figures(self, post: dict) -> dict:
        """Counters that grow with the fake's clock towards a ceiling set by the post's id."""
        hours = max(0.0, (self.now() - post["date"]) / 3600)
        ceiling = 800 + (post["id"] * 137) % 1200
        views = int(ceiling * (1 - 0.5 ** (hours / 24)))
        reach = int(views * 0.8)
        figures = {
            "views": views, "likes": views // 20, "comments": views // 100,
            "reposts": views // 200, "reach_total": reach,
            "reach_subscribers": int(reach * 0.7), "reach_viral": int(reach * 0.25),
            "reach_ads": 0, "links": views // 150, "to_group": views // 120,
            "join_group": views // 400, "hide": views // 500, "report": 0,
            "unsubscribe": views // 1000,
        }  # fmt: skip
        figures.update(self._counters.get((-post["owner_id"], post["id"]), {}))
        return figures

    # --- photos and video ---------------------------------------------------------------------
    def m_photos_getWallUploadServer(self, params, token):
        self._need_scope(token, "photos")
        group = self._group(params.get("group_id"), token)
        if str(params.get("group_id", "")).startswith("-"):
            raise VkFault(100, MESSAGES[100] + ": group_id must be positive")
        key = secrets.token_hex(8)
        self._uploads[key] = {"kind": "photo", "group": group.id, "user": token.user_id}
        return {
            "album_id": -14,
            "upload_url": f"{self.url}/upload/photo/{key}?act=do_add&wallphoto=1",
            "user_id": token.user_id,
        }

    def m_photos_saveWallPhoto(self, params, token):
        self._need_scope(token, "photos")
        group = self._group(params.get("group_id"), token)
        try:
            files = json.loads(params.get("photo", ""))
        except ValueError:
            raise VkFault(100, MESSAGES[100] + ": photo is undefined") from None
        upload = self._uploads.pop(params.get("hash", ""), None)
        if (
            not files
            or upload is None
            or upload["kind"] != "photo-hash"
            or upload["group"] != group.id
        ):
            raise VkFault(121, "Invalid hash")
        saved = []
        for file in files:
            photo_id = next(self._ids)
            key = f"photo-{group.id}_{photo_id}"
            self.photos[key] = {**file, "caption": params.get("caption", "")}
            saved.append({
                "id": photo_id, "owner_id": -group.id, "album_id": -14,
                "sizes": [{"type": "x", "width": 604, "height": 604, "url": f"{self.url}/p/{key}"}],
            })  # fmt: skip
        return saved

    def m_video_save(self, params, token):
        self._need_scope(token, "video")
        group = self._group(params.get("group_id"), token)
        video_id = next(self._ids)
        key = secrets.token_hex(8)
        self._uploads[key] = {
            "kind": "video", "group": group.id, "video_id": video_id,
            "name": params.get("name", ""),
        }  # fmt: skip
        return {
            "upload_url": f"{self.url}/upload/video/{key}",
            "video_id": video_id,
            "owner_id": -group.id,
            "access_key": secrets.token_hex(6),
        }

    def _upload(self, req: Request) -> Response:
        kind, _, key = req.path.removeprefix("/upload/").partition("/")
        with self.lock:
            upload = self._uploads.get(key)
        if upload is None or upload["kind"] != kind or req.method != "POST":
            return Response.json({"error": "ERR_UPLOAD_BAD_URL: upload url is invalid"})
        files = _multipart(req)
        if not files:
            return Response.json({"error": "ERR_UPLOAD_FILE_NOT_UPLOADED: no file"})
        if kind == "photo":
            described = [
                {"photo": hashlib.sha1(content).hexdigest()[:10] + ":w", "name": name,
                 "size": len(content), "sizes": [], "kid": key}
                for _field, name, content in files
            ]  # fmt: skip
            digest = secrets.token_hex(16)  # the upload URL stays usable for the next photo
            with self.lock:
                self._uploads[digest] = {**upload, "kind": "photo-hash"}
            body = {"server": 856312, "photo": json.dumps(described), "hash": digest}
            return Response.json(body)
        field_name, name, content = files[0]
        if field_name != "video_file":
            return Response.json({"error": "ERR_UPLOAD_FILE_NOT_UPLOADED: field video_file"})
        with self.lock:
            self._uploads.pop(key)
            vkey = f"video-{upload['group']}_{upload['video_id']}"
            self.videos[vkey] = {"name": name, "size": len(content), "title": upload["name"]}
        return Response.json({"video_id": upload["video_id"], "size": len(content)})

    # --- communities, rights and statistics ---------------------------------------------------
    def m_groups_getById(self, params, token):
        raw = params.get("group_id") or params.get("group_ids") or ""
        found = []
        for ref in (r for r in raw.split(",") if r):
            group = self._find_group(ref)
            if group is None:
                raise VkFault(100, MESSAGES[100] + ": group_ids is undefined")
            level = token.manages.get(group.id, 0)
            item = {
                "id": group.id, "name": group.name, "screen_name": f"club{group.id}",
                "is_closed": 0, "type": "group", "is_admin": int(level > 0),
                "is_member": 1,
            }  # fmt: skip
            if level:
                item["admin_level"] = level
            if "members_count" in params.get("fields", ""):
                item["members_count"] = self.members(group.id)
            found.append(item)
        return {"groups": found, "profiles": []}

    def _find_group(self, ref: str) -> Group | None:
        ref = ref.strip().removeprefix("club").removeprefix("public").lstrip("-")
        return self.groups.get(int(ref)) if ref.isdigit() else None

    def members(self, group_id: int, at: float | None = None) -> int:
        group = self.groups[group_id]
        days = max(0, int(((at or self.now()) - self.start_time) // 86400))
        return group.members + group.growth * days

    def m_account_getAppPermissions(self, params, token):
        return sum(SCOPE_BITS[s] for s in token.scopes)

    def m_stats_getPostReach(self, params, token):
        self._need_scope(token, "stats")
        group = self._group(params.get("owner_id"), token, need=3)
        ids = [i for i in params.get("post_ids", "").split(",") if i]
        if not ids or len(ids) > 30:
            raise VkFault(100, MESSAGES[100] + ": post_ids: from 1 to 30 posts")
        answer = []
        for raw in ids:
            post = self._live_post(group, raw)
            figures = self._figures(post)
            keys = ("reach_total", "reach_subscribers", "reach_viral", "reach_ads", "links",
                    "to_group", "join_group", "hide", "report", "unsubscribe")  # fmt: skip
            answer.append({"post_id": post["id"], **{k: figures[k] for k in keys}})
        return answer

    def m_stats_get(self, params, token):
        self._need_scope(token, "stats")
        group = self._group(params.get("group_id"), token, need=3)
        start = int(params.get("timestamp_from") or self.now() - 86400)
        end = int(params.get("timestamp_to") or self.now())
        if params.get("interval", "day") != "day":
            raise VkFault(100, MESSAGES[100] + ": only interval=day is faked")
        periods = []
        day = (start + MSK) // 86400
        while day * 86400 - MSK < min(end, self.now()):
            period_from = day * 86400 - MSK
            periods.append(self._day(group, period_from))
            day += 1
        return list(reversed(periods))  # VK lists the newest period first

    def _day(self, group: Group, period_from: int) -> dict:
        posted = [p for p in group.posts.values() if period_from <= p["date"] < period_from + 86400]
        n = (period_from // 86400) % 7
        reach = 300 + 40 * n + 150 * len(posted)
        return {
            "period_from": period_from, "period_to": period_from + 86400,
            "visitors": {"views": 500 + 60 * n, "visitors": 200 + 20 * n},
            "reach": {"reach": reach, "reach_subscribers": int(reach * 0.7),
                      "mobile_reach": int(reach * 0.8)},
            "activity": {"likes": 10 + n, "comments": 2 + n % 3, "copies": n % 2, "hidden": 0,
                         "subscribed": group.growth + 2, "unsubscribed": 2},
        }  # fmt: skip

    # --- VK ID (OAuth 2.1 with PKCE) ----------------------------------------------------------
    def _authorize(self, req: Request) -> Response:
        q = req.query
        if q.get("response_type") != "code" or q.get("client_id") != self.client_id:
            return Response.json({"error": "invalid_request"}, status=400)
        if q.get("code_challenge_method", "").lower() != "s256" or not q.get("code_challenge"):
            return Response.json({"error": "invalid_request", "error_description": "PKCE"}, 400)
        code = secrets.token_urlsafe(16)
        device_id = secrets.token_urlsafe(12)
        with self.lock:
            self.authorized.append(dict(q))
            self._codes[code] = {
                "challenge": q["code_challenge"], "redirect_uri": q.get("redirect_uri", ""),
                "device_id": device_id, "scope": q.get("scope", ""),
            }  # fmt: skip
        back = {"code": code, "state": q.get("state", ""), "device_id": device_id,
                "type": "code_v2", "expires_in": "600"}  # fmt: skip
        sep = "&" if "?" in q.get("redirect_uri", "") else "?"
        return Response(302, b"", {"Location": q.get("redirect_uri", "") + sep + urlencode(back)})

    def _token_endpoint(self, req: Request) -> Response:
        form = {**req.query, **_form(req)}
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        with self.lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return Response.json({"error": "invalid_grant", "error_description": "code"})
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != grant["challenge"]:
            return Response.json({"error": "invalid_grant", "error_description": "PKCE failed"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return Response.json({"error": "invalid_grant", "error_description": "redirect_uri"})
        if form.get("device_id") != grant["device_id"] or form.get("client_id") != self.client_id:
            return Response.json({"error": "invalid_client"})
        return Response.json(self._issue(form.get("state", ""), grant["device_id"]))

    def _issue(self, state: str, device_id: str) -> dict:
        token = "vk1.a." + secrets.token_urlsafe(24)
        manages = dict.fromkeys(self.groups, 3)
        self.add_token(token, self.oauth_user, manages, self.oauth_scopes)
        self.tokens[token].expires_at = self.now() + 3600
        refresh = "vk1.r." + secrets.token_urlsafe(24)
        with self.lock:
            self._refresh_tokens[refresh] = device_id
        return {
            "access_token": token, "refresh_token": refresh,
            "id_token": "header.payload.signature", "token_type": "Bearer", "expires_in": 3600,
            "user_id": self.oauth_user, "state": state, "scope": " ".join(self.oauth_scopes),
        }  # fmt: skip

    def _refresh(self, form: dict) -> Response:
        with self.lock:
            device_id = self._refresh_tokens.pop(form.get("refresh_token", ""), None)
        if device_id is None or device_id != form.get("device_id"):
            return Response.json({"error": "invalid_grant", "error_description": "refresh"})
        if form.get("client_id") != self.client_id:
            return Response.json({"error": "invalid_client"})
        with self.lock:
            self.refreshed += 1
        return Response.json(self._issue(form.get("state", ""), device_id))


def _attachments(raw: str) -> list[str]:
    return [a.strip() for a in raw.split(",") if a.strip()]


def _attachment_object(key: str) -> dict:
    kind = re.match(r"[a-z]+", key).group(0)
    owner, _, item_id = key[len(kind) :].partition("_")
    return {"type": kind, kind: {"id": int(item_id), "owner_id": int(owner)}}


def _form(req: Request) -> dict:
    kind = req.headers.get("Content-Type") or req.headers.get("content-type") or ""
    if kind.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(req.body.decode()))
    if kind.startswith("multipart/form-data"):
        return {f: c.decode() for f, name, c in _multipart(req) if not name}
    return {}


def _multipart(req: Request) -> list[tuple[str, str, bytes]]:
    """(field, file name or "", content) of a multipart body; any field name is accepted."""
    kind = req.headers.get("Content-Type") or req.headers.get("content-type") or ""
    if not kind.startswith("multipart/form-data"):
        return []
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + kind.encode() + b"\r\n\r\n" + req.body
    )
    parts = []
    for part in message.iter_parts():
        field_name = part.get_param("name", header="content-disposition") or ""
        parts.append((field_name, part.get_filename() or "", part.get_payload(decode=True) or b""))
    return parts
