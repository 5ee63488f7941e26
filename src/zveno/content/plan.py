"""The draft plan generator and the content mix.

The generator turns the playbook's cadence into idea-stage items: each active channel publishes
its formats at ``units a week × CADENCE_FACTOR`` (or its own cadence), as ``team.workload`` reads
it; over a range of D days a format gets ``round(units × D / 7)`` slots (at most one a day),
spread evenly over the days that are not the project's days off, at a fixed hour by format.
A channel with preferred posting slots (``Channel.slots``: weekday and local time) publishes
only in them instead: its formats, in format order, are spread evenly over the range's slot
times on free days (``round(units × D / 7)`` each, at most the slots left), each slot used once.
A slot is a (channel, day, format); one that already holds an item is skipped (for a channel with
slots, also a slot time that already holds an item of the channel), so nothing is overwritten and
a second run adds nothing. Rubrics go to the slots in date order, each time to the rubric
furthest below its target share, counting the items already planned in the range.

The mix compares, per month of the project's calendar, the share of each rubric among the
planned items (everything not cancelled) and among the published ones with the target share.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zveno.content import selectors, services
from zveno.content.models import ContentItem, DayOff, Publication, State
from zveno.publishing.models import Format
from zveno.team import workload
from zveno.workspaces import access
from zveno.workspaces.models import Project
from zveno.workspaces.roles import Capability

MAX_DAYS = 92
DEFAULT_HOUR = 12
FORMAT_HOURS = {"stories": 18, "reels": 19, "live": 19, "email": 10}


@dataclass(frozen=True)
class Slot:
    """One item the generator proposes: a channel, a day, a format and a rubric."""

    channel_id: int
    channel: str
    network: str
    day: dt.date
    format: str
    rubric: str  # code, "" when the project has no rubrics
    rubric_name: str
    time: dt.time | None = None  # the channel's posting slot; None: the format's usual hour

    @property
    def planned_at(self) -> dt.datetime:
        """Naive, in the project's time zone."""
        at = self.time or dt.time(FORMAT_HOURS.get(self.format, DEFAULT_HOUR))
        return dt.datetime.combine(self.day, at)

    @property
    def format_label(self) -> str:
        return str(dict(Format.choices).get(self.format, self.format))

    @property
    def title(self) -> str:
        if not self.rubric_name:
            return self.format_label
        return _("%(rubric)s: %(format)s") % {
            "rubric": self.rubric_name,
            "format": self.format_label,
        }


def check_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationError({"end": _("The range ends before it starts.")})
    if (end - start).days >= MAX_DAYS:
        raise ValidationError({"end": _("Plan at most %(n)s days at once.") % {"n": MAX_DAYS}})


def slot_count(units: float, days: int, free: int) -> int:
    return min(free, math.floor(units * days / 7 + 0.5))


def _spread(days: list[dt.date], count: int) -> list[dt.date]:
    return [days[(2 * i + 1) * len(days) // (2 * count)] for i in range(count)]


def _occupied(project: Project, start: dt.date, end: dt.date) -> tuple[set, set]:
    """(channel, local day, format) and (channel, local day, local time) already planned."""
    zone = zoneinfo.ZoneInfo(project.timezone)
    begin, finish = selectors.day_range_utc(project, start, end)
    rows = Publication.objects.filter(item__project=project).exclude(item__state=State.CANCELLED)
    taken, at = set(), set()
    for channel, own, item_time, fmt in rows.values_list(
        "channel_id", "planned_at", "item__planned_at", "item__format"
    ):
        when = own or item_time
        if when is not None and begin <= when < finish:
            local = when.astimezone(zone)
            taken.add((channel, local.date(), fmt))
            at.add((channel, local.date(), local.time().replace(second=0, microsecond=0)))
    return taken, at


def _slot_times(slots) -> dict[int, list[dt.time]]:
    """{weekday: [times]} from a channel's slots (bad entries, if any, are left out)."""
    times: dict[int, list[dt.time]] = {}
    for slot in slots or []:
        try:
            hour, minute = (int(x) for x in str(slot["time"]).split(":"))
            times.setdefault(int(slot["weekday"]), []).append(dt.time(hour, minute))
        except (KeyError, TypeError, ValueError):
            continue
    return {day: sorted(set(found)) for day, found in times.items()}


def _by_slots(free: list[dt.date], days: int, slots, units: dict[str, float]) -> list[tuple]:
    """(day, format, time) for a channel with posting slots: each slot time used at most once."""
    times = _slot_times(slots)
    left = [(day, at) for day in free for at in times.get(day.weekday(), [])]
    order = list(Format.values)
    found = []
    for fmt in sorted(units, key=lambda f: order.index(f) if f in order else len(order)):
        count = slot_count(units[fmt], days, len(left))
        chosen = _spread(left, count) if count else []
        found += [(day, fmt, at) for day, at in chosen]
        used = set(chosen)
        left = [slot for slot in left if slot not in used]
    return found


def _rubric_counts(project: Project, start: dt.date, end: dt.date) -> Counter:
    begin, finish = selectors.day_range_utc(project, start, end)
    rows = ContentItem.objects.filter(project=project, planned_at__gte=begin, planned_at__lt=finish)
    rows = rows.exclude(state=State.CANCELLED).exclude(rubric=None)
    return Counter(rows.values_list("rubric__code", flat=True))


def _balance(project: Project, start: dt.date, end: dt.date, count: int) -> list[tuple[str, str]]:
    """``count`` rubrics, each time the one furthest below its target share."""
    services.ensure_rubrics(project)
    rubrics = [r for r in project.rubrics.all() if r.target_share > 0]
    if not rubrics:
        return [("", "")] * count
    weight = sum(r.target_share for r in rubrics)
    counts = _rubric_counts(project, start, end)
    total = sum(counts[r.code] for r in rubrics)
    chosen = []
    for _i in range(count):
        total += 1
        best = max(
            rubrics,
            key=lambda r: (r.target_share * total / weight - counts[r.code], r.target_share),
        )
        counts[best.code] += 1
        chosen.append((best.code, best.name))
    return chosen


def draft(project: Project, start: dt.date, end: dt.date) -> list[Slot]:
    """The items the generator would create for the range (nothing is written)."""
    check_range(start, end)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    off = set(project.days_off.filter(date__range=(start, end)).values_list("date", flat=True))
    free = [day for day in days if day not in off]
    facts = workload.facts(project)
    names = {c.pk: c.name for c in facts.channels}
    slots = {c.pk: c.slots for c in facts.channels if _slot_times(c.slots)}
    taken, taken_at = _occupied(project, start, end)
    found = []
    for plan in workload.channel_plans(facts):
        channel = plan.channel_id
        if channel in slots:
            for day, fmt, at in _by_slots(free, len(days), slots[channel], dict(plan.units)):
                if (channel, day, fmt) not in taken and (channel, day, at) not in taken_at:
                    found.append((day, at, channel, plan.network, fmt))
            continue
        for fmt, units in plan.units.items():
            count = slot_count(units, len(days), len(free))
            for day in _spread(free, count) if count else []:
                if (channel, day, fmt) not in taken:
                    found.append((day, None, channel, plan.network, fmt))
    order = list(Format.values)
    found.sort(key=lambda s: (s[0], s[1] or dt.time.min, s[2], order.index(s[4])))
    rubrics = _balance(project, start, end, len(found))
    return [
        Slot(channel, names.get(channel, ""), network, day, fmt, code, name, at)
        for (day, at, channel, network, fmt), (code, name) in zip(found, rubrics, strict=True)
    ]


@transaction.atomic
def create_draft(actor, project: Project, start: dt.date, end: dt.date) -> list[ContentItem]:
    """Creates the previewed items at the idea stage (computed again, inside the transaction)."""
    access.require(actor, project, Capability.REVIEW_CONTENT)
    created = []
    for slot in draft(project, start, end):
        item = services.create_item(
            actor, project, title=slot.title, format=slot.format, channel_ids=[slot.channel_id],
            rubric=slot.rubric or None, planned_at=slot.planned_at,
        )  # fmt: skip
        created.append(item)
    return created


@transaction.atomic
def add_day_off(actor, project: Project, date: dt.date, note: str = "") -> DayOff:
    access.require(actor, project, Capability.REVIEW_CONTENT)
    try:
        with transaction.atomic():
            return DayOff.objects.create(project=project, date=date, note=note.strip()[:120])
    except IntegrityError:
        raise ValidationError({"date": _("This day is already a day off.")}) from None


@transaction.atomic
def remove_day_off(actor, day_off: DayOff) -> None:
    access.require(actor, day_off.project, Capability.REVIEW_CONTENT)
    day_off.delete()


# --- the mix -----------------------------------------------------------------------------------


@dataclass
class MixRow:
    """One rubric in one month: its target, and its planned and published counts and shares."""

    name: str
    target: int
    planned: int
    published: int
    planned_share: float
    published_share: float

    @property
    def gap(self) -> float:
        return round(self.planned_share - self.target, 1)


@dataclass
class MixMonth:
    month: dt.date  # the first day
    rows: list[MixRow]
    planned: int
    published: int


def _share(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def month_starts(first: dt.date, months: int) -> list[dt.date]:
    out, day = [], first.replace(day=1)
    for _i in range(months):
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def mix(project: Project, first: dt.date, months: int = 3) -> list[MixMonth]:
    """Planned (not cancelled) and published items per rubric, per month of the project's zone."""
    services.ensure_rubrics(project)
    starts = month_starts(first, months)
    end = (starts[-1] + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    zone = zoneinfo.ZoneInfo(project.timezone)
    planned: dict[dt.date, Counter] = {month: Counter() for month in starts}
    published: dict[dt.date, Counter] = {month: Counter() for month in starts}
    for when, rubric, state in _items(project, starts[0], end).values_list(
        "planned_at", "rubric_id", "state"
    ):
        month = when.astimezone(zone).date().replace(day=1)
        planned[month][rubric] += 1
        if state == State.PUBLISHED:
            published[month][rubric] += 1
    rubrics = _rubrics(project)
    return [MixMonth(m, *mix_rows(rubrics, planned[m], published[m])) for m in starts]


def mix_between(project: Project, start: dt.date, end: dt.date) -> MixMonth:
    """The same mix for one period, ``start`` to ``end`` (days of the project's zone); read only:
    a project whose rubrics were never copied from its playbook gets none."""
    planned: Counter = Counter()
    published: Counter = Counter()
    for rubric, state in _items(project, start, end).values_list("rubric_id", "state"):
        planned[rubric] += 1
        if state == State.PUBLISHED:
            published[rubric] += 1
    return MixMonth(start, *mix_rows(_rubrics(project), planned, published))


def mix_rows(rubrics: list, planned: Counter, published: Counter) -> tuple[list[MixRow], int, int]:
    """The rows of one mix from counts per rubric id (None: items without a rubric)."""
    total, done = sum(planned.values()), sum(published.values())
    lines = list(rubrics)
    if planned[None]:
        lines.append((None, _("No rubric"), 0))
    rows = [
        MixRow(name, target, planned[pk], published[pk],
               _share(planned[pk], total), _share(published[pk], done))
        for pk, name, target in lines
    ]  # fmt: skip
    return rows, total, done


def _items(project: Project, start: dt.date, end: dt.date):
    begin, finish = selectors.day_range_utc(project, start, end)
    return ContentItem.objects.filter(
        project=project, planned_at__gte=begin, planned_at__lt=finish
    ).exclude(state=State.CANCELLED)


def _rubrics(project: Project) -> list[tuple]:
    return [(r.pk, r.name, r.target_share) for r in project.rubrics.all()]
