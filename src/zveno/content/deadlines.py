"""Due times of an item's steps, scheduled backwards from its publication.

The rule (pure functions, no database):

* Each step gets its own **window** of working hours: its effort norm from the project
  playbook's ``effort[format]`` (copy = copywriter; design = designer + stories maker + reels
  maker + video editor; review = smm; expert approval = expert), but never less than the step's
  minimum (``MIN_WINDOW``): two hours to write or draw, one for the SMM's check, and **one working
  day for the expert**, who answers between their own work and never shares the SMM's deadline.
* Backwards from the publication: the last approval is due ``PUBLISH_LEAD`` working hours before
  it (time to schedule the post); each earlier step is due when the next one's window opens.
  So the expert's step is due at publication − lead, the review one expert window earlier, the
  design one review window earlier, the copy one design window earlier.
* Working time is Monday to Friday, 10:00 to 19:00 in the project's time zone, less the
  project's days off. A publication outside it counts from the last working moment before it.
* **Too tight**: when the open steps need more working hours than remain between now and the
  publication, the schedule says so (``Schedule.tight``). If at least half an hour per open step
  remains, the windows shrink in proportion so every date still lies ahead (never an impossible
  date in the past); with less than that, the dates stay where the norms put them and the
  warning is all one can honestly give.
* Due times are rounded down to a quarter of an hour (earlier, never later) and kept in UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zveno.content.models import StepKind

DAY_START = dt.time(10, 0)
DAY_END = dt.time(19, 0)
DAY_HOURS = 9.0
WORKING_DAYS = {0, 1, 2, 3, 4}  # Monday .. Friday
PUBLISH_LEAD = 1.0  # working hours between the last approval and the publication
MIN_WINDOW: dict[str, float] = {
    StepKind.COPY: 2.0,
    StepKind.DESIGN: 2.0,
    StepKind.REVIEW: 1.0,
    StepKind.EXPERT_APPROVAL: DAY_HOURS,  # one working day of the expert's own
}
MIN_SHARE = 0.5  # working hours a step keeps at least when a tight plan is squeezed

STEP_ROLES: dict[str, tuple[str, ...]] = {
    StepKind.COPY: ("copywriter",),
    StepKind.DESIGN: ("designer", "stories_maker", "reels_maker", "video_editor"),
    StepKind.REVIEW: ("smm",),
    StepKind.EXPERT_APPROVAL: ("expert",),
}
ORDER = (StepKind.COPY, StepKind.DESIGN, StepKind.REVIEW, StepKind.EXPERT_APPROVAL)


@dataclass(frozen=True)
class Schedule:
    """Due times by step kind (UTC) and whether the open steps fit before the publication."""

    due: dict[str, dt.datetime | None]
    needed: float = 0.0  # working hours the open steps and the lead need
    available: float | None = None  # working hours from now to the publication

    @property
    def tight(self) -> bool:
        return self.available is not None and self.available < self.needed


def step_hours(effort: Mapping[str, Mapping[str, float]], fmt: str, kind: str) -> float:
    norms = effort.get(fmt, {})
    return float(sum(norms.get(role, 0.0) for role in STEP_ROLES[kind]))


def windows(effort: Mapping[str, Mapping[str, float]], fmt: str, kinds) -> dict[str, float]:
    """Each step's working hours: its norm, never less than its minimum."""
    return {kind: max(step_hours(effort, fmt, kind), MIN_WINDOW[kind]) for kind in kinds}


def _working(day: dt.date, days_off: frozenset[dt.date]) -> bool:
    return day.weekday() in WORKING_DAYS and day not in days_off


def _bounds(day: dt.date, zone) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(day, DAY_START, tzinfo=zone),
        dt.datetime.combine(day, DAY_END, tzinfo=zone),
    )


def _clamp(local: dt.datetime, days_off: frozenset[dt.date]) -> dt.datetime:
    """The latest working moment not after ``local``."""
    while True:
        start, end = _bounds(local.date(), local.tzinfo)
        if _working(local.date(), days_off):
            if start <= local <= end:
                return local
            if local > end:
                return end
        local = _bounds(local.date() - dt.timedelta(days=1), local.tzinfo)[1]


def _back(local: dt.datetime, hours: float, days_off: frozenset[dt.date]) -> dt.datetime:
    """``local`` (a working moment) minus ``hours`` working hours."""
    remaining = dt.timedelta(hours=hours)
    while True:
        start = _bounds(local.date(), local.tzinfo)[0]
        available = local - start
        if remaining <= available:
            return local - remaining
        remaining -= available
        local = _clamp(_bounds(local.date() - dt.timedelta(days=1), local.tzinfo)[1], days_off)


def _quarter(local: dt.datetime) -> dt.datetime:
    return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)


def subtract_working_hours(
    moment: dt.datetime, hours: float, tz_name: str, days_off: Iterable[dt.date] = ()
) -> dt.datetime:
    """``moment`` minus ``hours`` working hours in ``tz_name``, rounded down, in UTC."""
    off = frozenset(days_off)
    local = _clamp(moment.astimezone(zoneinfo.ZoneInfo(tz_name)), off)
    return _quarter(_back(local, hours, off)).astimezone(dt.UTC)


def working_hours_between(
    start: dt.datetime, end: dt.datetime, tz_name: str, days_off: Iterable[dt.date] = ()
) -> float:
    """Working hours from ``start`` to ``end`` (0 when ``end`` is not later)."""
    zone, off = zoneinfo.ZoneInfo(tz_name), frozenset(days_off)
    begin, finish = start.astimezone(zone), end.astimezone(zone)
    total, day = dt.timedelta(), begin.date()
    while day <= finish.date():
        if _working(day, off):
            open_, close = _bounds(day, zone)
            span = min(close, finish) - max(open_, begin)
            total += max(span, dt.timedelta())
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def schedule(
    planned_at: dt.datetime | None,
    fmt: str,
    effort: Mapping[str, Mapping[str, float]],
    kinds: list[str],
    tz_name: str,
    *,
    days_off: Iterable[dt.date] = (),
    now: dt.datetime | None = None,
    done: Iterable[str] = (),
) -> Schedule:
    """The steps' due times backwards from ``planned_at``; with ``now``, whether they fit."""
    if planned_at is None:
        return Schedule(dict.fromkeys(kinds))
    off = frozenset(days_off)
    zone = zoneinfo.ZoneInfo(tz_name)
    ordered = [kind for kind in ORDER if kind in kinds]
    width = windows(effort, fmt, ordered)
    still = [kind for kind in ordered if kind not in set(done)]
    needed = PUBLISH_LEAD + sum(width[kind] for kind in still)
    available = None
    if now is not None:
        available = working_hours_between(now, planned_at, tz_name, off)
        room = available - PUBLISH_LEAD
        if available < needed and still and room >= MIN_SHARE * len(still):
            scale = room / (needed - PUBLISH_LEAD)
            width.update({kind: width[kind] * scale for kind in still})
    cursor = _back(_clamp(planned_at.astimezone(zone), off), PUBLISH_LEAD, off)
    due: dict[str, dt.datetime | None] = {}
    for kind in reversed(ordered):
        due[kind] = _quarter(cursor).astimezone(dt.UTC)
        cursor = _back(cursor, width[kind], off)
    return Schedule(due, needed=needed, available=available)


def due_times(
    planned_at: dt.datetime | None,
    fmt: str,
    effort: Mapping[str, Mapping[str, float]],
    kinds: list[str],
    tz_name: str,
    days_off: Iterable[dt.date] = (),
) -> dict[str, dt.datetime | None]:
    """{step kind: due time in UTC} by the norms alone (no "now", no squeezing)."""
    return schedule(planned_at, fmt, effort, kinds, tz_name, days_off=days_off).due
