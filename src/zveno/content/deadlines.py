"""Due times of an item's steps, counted backwards from its planned time by the effort norms.

The rule (pure functions, no database):

* Each step's hours come from the project playbook's ``effort[format]``: copy = copywriter,
  design = designer + stories maker + reels maker + video editor, review = smm,
  expert approval = expert. A format or role the playbook does not list counts 0 hours.
* A step is due at ``planned_at`` minus its own hours and the hours of every later step:
  expert approval = planned − expert; review = planned − expert − smm;
  design = planned − expert − smm − design; copy = planned − expert − smm − design − copy.
  Each step thus leaves its own norm once more as slack before the next person can start.
* The hours are working hours in the project's time zone: Monday to Friday, 10:00 to 19:00.
  A planned time outside them counts from the end of the previous working day.
* The result is rounded down to a whole hour (earlier, never later), and stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping

from zveno.content.models import StepKind

DAY_START = dt.time(10, 0)
DAY_END = dt.time(19, 0)
WORKING_DAYS = {0, 1, 2, 3, 4}  # Monday .. Friday

STEP_ROLES: dict[str, tuple[str, ...]] = {
    StepKind.COPY: ("copywriter",),
    StepKind.DESIGN: ("designer", "stories_maker", "reels_maker", "video_editor"),
    StepKind.REVIEW: ("smm",),
    StepKind.EXPERT_APPROVAL: ("expert",),
}
ORDER = (StepKind.COPY, StepKind.DESIGN, StepKind.REVIEW, StepKind.EXPERT_APPROVAL)


def step_hours(effort: Mapping[str, Mapping[str, float]], fmt: str, kind: str) -> float:
    norms = effort.get(fmt, {})
    return float(sum(norms.get(role, 0.0) for role in STEP_ROLES[kind]))


def _clamp(local: dt.datetime) -> dt.datetime:
    """The latest working moment not after ``local``."""
    while True:
        if local.weekday() in WORKING_DAYS:
            start = local.replace(hour=DAY_START.hour, minute=0, second=0, microsecond=0)
            end = local.replace(hour=DAY_END.hour, minute=0, second=0, microsecond=0)
            if start <= local <= end:
                return local
            if local > end:
                return end
        previous = local.date() - dt.timedelta(days=1)
        local = dt.datetime.combine(previous, DAY_END, tzinfo=local.tzinfo)


def subtract_working_hours(moment: dt.datetime, hours: float, tz_name: str) -> dt.datetime:
    """``moment`` minus ``hours`` working hours in ``tz_name``, rounded down to the hour, in UTC."""
    zone = zoneinfo.ZoneInfo(tz_name)
    local = _clamp(moment.astimezone(zone))
    remaining = dt.timedelta(hours=hours)
    while True:
        start = local.replace(hour=DAY_START.hour, minute=0, second=0, microsecond=0)
        available = local - start
        if remaining <= available:
            local -= remaining
            break
        remaining -= available
        previous = local.date() - dt.timedelta(days=1)
        local = _clamp(dt.datetime.combine(previous, DAY_END, tzinfo=zone))
    local = local.replace(minute=0, second=0, microsecond=0)
    return local.astimezone(dt.UTC)


def due_times(
    planned_at: dt.datetime | None,
    fmt: str,
    effort: Mapping[str, Mapping[str, float]],
    kinds: list[str],
    tz_name: str,
) -> dict[str, dt.datetime | None]:
    """{step kind: due time in UTC} for the steps an item has (None without a planned time)."""
    if planned_at is None:
        return dict.fromkeys(kinds)
    due: dict[str, dt.datetime | None] = {}
    hours = 0.0
    for kind in reversed(ORDER):
        if kind not in kinds:
            continue
        hours += step_hours(effort, fmt, kind)
        due[kind] = subtract_working_hours(planned_at, hours, tz_name)
    return due
