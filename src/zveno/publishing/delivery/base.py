"""What every part of the scheduler shares: the seams the content app fills, the rules' constants,
the lease, and the report of a pass."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from dataclasses import dataclass, field

from django.conf import settings

from zveno.core.seams import Seam
from zveno.publishing.models import DispatchState

S = DispatchState

# --- seams (filled by the content app) ----------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A publication that should be delivered: approved, on a channel Zveno publishes to."""

    ref: int
    channel_id: int
    due_at: dt.datetime


@dataclass(frozen=True)
class Refusal:
    """Why a publication may not go out now. `state`: planned (not approved) or failed."""

    reason: str
    state: str = S.PLANNED


@dataclass(frozen=True)
class Audience:
    """Who hears about a dispatch: the item's SMM (and, for a lost channel, the project lead)."""

    smm: list = field(default_factory=list)
    leads: list = field(default_factory=list)
    title: str = ""
    url: str = ""


DUE = Seam("publishing.due")  # () -> Iterable[Wanted]
CONTENT = Seam("publishing.content")  # (dispatch) -> Post | Refusal | None (None: not mine)
DELIVERED = Seam("publishing.delivered")  # (dispatch) -> None
# CONTENT and DELIVERED functions may carry ``.many``, their form for a batch (see answers_many and
# each_or_many): a batch of first sends then costs a few statements, not a few per publication.
AUDIENCE = Seam("publishing.audience")  # (dispatch) -> Audience | None

ACTIVE = (S.SCHEDULED, S.SENDING, S.HELD, S.PLANNED)
GRACE = dt.timedelta(minutes=5)  # later than this after its time, a first send is "late"
LATE_WINDOW = dt.timedelta(hours=2)  # MissedPolicy.AUTO: publish late under this, else hold
MAX_TRANSIENT = 5  # transient failures in a row before a dispatch fails
MAX_WAIT_IN_PLACE = 2.0  # seconds a worker waits for a rate-limit slot before moving on
RECHECK = dt.timedelta(seconds=30)  # reconciliation that could not tell: ask again after
MAX_READ_BACKS = 5  # reconciliations that could not tell before a person is asked ("needs a check")
READ_BACK_LIMIT = dt.timedelta(hours=1)  # … or this long after the attempt, whichever first
SETTLE = dt.timedelta(seconds=30)  # an unknown attempt is read back no sooner than this after


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "PUBLISHING_LEASE_SECONDS", 120))


def answers_many(seam: Seam, items: list) -> dict:
    """`first_answer` for many rows at once, by pk: a function may carry ``.many``, its form for
    a list (answering a dict by pk); one without it is asked row by row."""
    answers: dict = {}
    for function in seam:
        rest = [item for item in items if item.pk not in answers]
        if not rest:
            break
        many = getattr(function, "many", None)
        got = many(rest) if many else {item.pk: function(item) for item in rest}
        answers.update({pk: answer for pk, answer in got.items() if answer is not None})
    return answers


def each_or_many(seam: Seam, items: list) -> None:
    """Calls the seam for every row: through a function's ``.many`` form when it has one."""
    if not items:
        return
    for function in seam:
        many = getattr(function, "many", None)
        if many is not None:
            many(items)
        else:
            for item in items:
                function(item)


def first_answer(seam: Seam, *args):
    for function in seam:
        answer = function(*args)
        if answer is not None:
            return answer
    return None


@dataclass
class PassReport:
    claimed: int = 0
    published: int = 0
    held: int = 0
    failed: int = 0
    checks: int = 0
    retried: int = 0
    waits: int = 0

    def add(self, other: PassReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
