"""The draft plan generator and the content mix.

The generator turns the playbook's cadence into idea-stage items: each active channel publishes
its formats at ``units a week × CADENCE_FACTOR`` (or its own cadence), as ``team.workload`` reads
it; over a range of D days a format gets ``round(units × D / 7)`` slots (at most one a day),
spread evenly over the days that are not the project's days off. A slot is a (channel, day,
format); one that already holds an item is skipped, so nothing is overwritten and a second run
adds nothing. Rubrics go to the slots in date order, each time to the rubric furthest below its
target share, counting the items already planned in the range.

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
from zveno.content.models import ContentItem, DayOff, Format, Publication, State
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

    @property
    def planned_at(self) -> dt.datetime:
        """Naive, in the project's time zone."""
        return dt.datetime.combine(self.day, dt.time(FORMAT_HOURS.get(self.format, DEFAULT_HOUR)))

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


def _occupied(project: Project, start: dt.date, end: dt.date) -> set[tuple[int, dt.date, str]]:
    zone = zoneinfo.ZoneInfo(project.timezone)
    begin, finish = selectors.day_range_utc(project, start, end)
    rows = Publication.objects.filter(item__project=project).exclude(item__state=State.CANCELLED)
    taken = set()
    for channel, own, item_time, fmt in rows.values_list(
        "channel_id", "planned_at", "item__planned_at", "item__format"
    ):
        when = own or item_time
        if when is not None and begin <= when < finish:
            taken.add((channel, when.astimezone(zone).date(), fmt))
    return taken


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
    taken = _occupied(project, start, end)
    found = []
    for plan in workload.channel_plans(facts):
        for fmt, units in plan.units.items():
            count = slot_count(units, len(days), len(free))
            for day in _spread(free, count) if count else []:
                if (plan.channel_id, day, fmt) not in taken:
                    found.append((day, plan.channel_id, plan.network, fmt))
    found.sort(key=lambda s: (s[0], s[1], list(Format.values).index(s[3])))
    rubrics = _balance(project, start, end, len(found))
    return [
        Slot(channel, names.get(channel, ""), network, day, fmt, code, name)
        for (day, channel, network, fmt), (code, name) in zip(found, rubrics, strict=True)
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
    begin, finish = selectors.day_range_utc(project, starts[0], end)
    zone = zoneinfo.ZoneInfo(project.timezone)
    rows = (
        ContentItem.objects.filter(project=project, planned_at__gte=begin, planned_at__lt=finish)
        .exclude(state=State.CANCELLED)
        .values_list("planned_at", "rubric_id", "state")
    )
    planned: Counter = Counter()
    published: Counter = Counter()
    for when, rubric, state in rows:
        key = (when.astimezone(zone).date().replace(day=1), rubric)
        planned[key] += 1
        if state == State.PUBLISHED:
            published[key] += 1
    rubrics = [(r.pk, r.name, r.target_share) for r in project.rubrics.all()]
    result = []
    for month in starts:
        total = sum(n for (m, _r), n in planned.items() if m == month)
        done = sum(n for (m, _r), n in published.items() if m == month)
        lines = list(rubrics)
        if planned[(month, None)]:
            lines.append((None, _("No rubric"), 0))
        result.append(
            MixMonth(month, [
                MixRow(name, target, planned[(month, pk)], published[(month, pk)],
                       _share(planned[(month, pk)], total), _share(published[(month, pk)], done))
                for pk, name, target in lines
            ], total, done)
        )  # fmt: skip
    return result
