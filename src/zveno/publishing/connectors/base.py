"""The contract every network connector keeps, and the one vocabulary of outcomes.

A connector turns a `Post` into requests on one network and answers with an `Outcome`; it never
touches the database. The scheduler (publishing) decides what is due, claims it, writes each attempt
before the request goes out, and acts on the outcome's kind. Networks without a publishing API
simply have no connector registered: their publications stay "mark published with its URL".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import httpx


class OutcomeKind(StrEnum):
    PUBLISHED = "published"  # the network holds the post: external id and URL known
    RATE_LIMITED = "rate_limited"  # try again after `retry_after` seconds, nothing was posted
    AUTH_LOST = "auth_lost"  # token revoked, bot removed from the channel, rights missing
    REJECTED = "rejected"  # the network refused the content; `reason` says why
    TRANSIENT = "transient"  # 5xx or no connection before sending: safe to try again
    UNKNOWN = "unknown"  # the request may have reached the network, no answer: reconcile first
    NOT_FOUND = "not_found"  # reconciliation: the network certainly does not hold the post


@dataclass(frozen=True)
class Outcome:
    """What one request to a network came to, in terms the scheduler acts on."""

    kind: OutcomeKind
    external_id: str = ""  # e.g. Telegram "message_id" (album: ids joined by ","), VK "owner_post"
    url: str = ""
    retry_after: float | None = None  # seconds, exactly as the network said
    reason: str = ""  # for people, in the current language (gettext)
    detail: str = ""  # the network's own words and code, for the delivery log; never a secret
    status_code: int | None = None
    data: Mapping = field(default_factory=dict)  # extra facts (member count, chat title, …)

    @property
    def ok(self) -> bool:
        return self.kind is OutcomeKind.PUBLISHED


@dataclass(frozen=True)
class Problem:
    """Something that stops a post from going out on a network, found before sending."""

    code: str  # stable: "text_too_long", "caption_too_long", "too_many_media", "media_too_large",
    # "album_mixed_types", "too_many_links", "missing_erid", "empty", "unsupported_media"
    message: str  # for people, in the current language
    field: str = ""  # "text", "media", "erid", …


@dataclass(frozen=True)
class MediaFile:
    """One file of a post, read from the item's media library."""

    name: str
    content_type: str
    size: int
    kind: str  # "photo" | "video" | "document"
    read: Callable[[], bytes]  # the bytes, read only when a connector uploads them


@dataclass(frozen=True)
class Post:
    """A publication as a connector sees it: text and media for one channel."""

    text: str
    media: Sequence[MediaFile] = ()
    guid: str = ""  # stable per publication (never per attempt): VK `guid`, reconciliation key
    is_ad: bool = False
    erid: str = ""  # advertising marker, required on an ad post
    planned_at: dt.datetime | None = None


@dataclass(frozen=True)
class Target:
    """Where to post: the channel's address on its network, its secrets and the API base URL."""

    handle: str  # Telegram "@name" or "-100…", VK community id ("-123" or "123"), MAX chat id
    # decrypted; {"bot_token": …} or {"access_token": …}; kept out of repr (logs, tracebacks)
    credentials: Mapping[str, str] = field(repr=False)
    base_url: str  # from settings: ZVENO_TELEGRAM_API_URL, ZVENO_VK_API_URL, ZVENO_MAX_API_URL
    timeout: float = 30.0


@dataclass
class Collected:
    """What one metrics pass gathered and what stood in its way (for the channel's freshness)."""

    metrics: dict = field(default_factory=dict)  # per external id (posts) or per figure (a day)
    requests: int = 0
    waits: float = 0.0  # seconds slept on a rate limit
    problem: Outcome | None = None  # e.g. AUTH_LOST, or REJECTED when a right is missing


def marked_text(post: Post) -> str:
    """The text as it goes out: an ad gets its marker and erid if the text lacks them."""
    text = post.text or ""
    if post.is_ad and post.erid and post.erid not in text:
        # The law's marker is Russian whatever the interface language.
        text = f"{text.rstrip()}\n\nРеклама. erid: {post.erid}".lstrip()
    return text


def normal_text(text: str) -> str:
    """Text compared for reconciliation: whitespace runs as one space, no ends."""
    return " ".join((text or "").split())


class Connector(Protocol):
    """One network. Every method is synchronous, side-effect free locally, and never raises for
    a network answer: failures come back as an Outcome (programming errors still raise)."""

    network: str  # a publishing.models.Network value
    can_read_back: bool  # True when `find` can tell whether a post went out (VK, MAX)

    def validate(self, post: Post) -> list[Problem]: ...

    def test(self, target: Target) -> Outcome:
        """Check the connection: PUBLISHED means usable (data: title, members, rights)."""
        ...

    def publish(self, target: Target, post: Post) -> Outcome: ...

    def edit(self, target: Target, external_id: str, post: Post) -> Outcome: ...

    def delete(self, target: Target, external_id: str) -> Outcome: ...

    def find(self, target: Target, post: Post, sent_after: dt.datetime) -> Outcome:
        """Reconcile after an UNKNOWN: PUBLISHED (with id and URL) when the network holds the
        post, NOT_FOUND when it certainly does not, UNKNOWN when it cannot tell."""
        ...

    def fetch_post_metrics(self, target: Target, external_ids: Sequence[str]) -> Mapping[str, dict]:
        """Counters per external id: views, reach, likes, comments, shares, … (absent = unknown)."""
        ...

    def fetch_channel_day(self, target: Target, day: dt.date) -> dict:
        """Channel figures for one day: followers, reach, … (absent = the network gives none)."""
        ...


_REGISTRY: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    """Make a connector the one for its network (apps call this at start-up)."""
    _REGISTRY[connector.network] = connector
    return connector


def connector_for(network: str) -> Connector | None:
    """The network's connector, or None where Zveno cannot publish (marked published by hand)."""
    return _REGISTRY.get(network)


def registered_networks() -> list[str]:
    return sorted(_REGISTRY)


def transport_outcome(exc: httpx.HTTPError) -> Outcome:
    """Classify a transport failure: before the request was sent it is TRANSIENT (safe to retry);
    once it may have been sent (a read timeout, a dropped connection) it is UNKNOWN."""
    not_sent = (
        httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol
    )  # fmt: skip
    kind = OutcomeKind.TRANSIENT if isinstance(exc, not_sent) else OutcomeKind.UNKNOWN
    return Outcome(kind, detail=f"{type(exc).__name__}: {exc}"[:500])
