"""The draft plan generator puts a channel's items on its preferred posting slots."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

import pytest

from tests.content.conftest import make_item
from zveno.content import plan
from zveno.content.models import ContentItem, DayOff
from zveno.publishing import services

START, END = dt.date(2026, 11, 23), dt.date(2026, 12, 6)  # two weeks, Monday to Sunday
WEDNESDAY_OFF = dt.date(2026, 11, 25)
SLOTS = [{"weekday": d, "time": t} for d in (0, 2, 4) for t in ("10:00", "19:00")]
TIMES = {dt.time(10, 0), dt.time(19, 0)}


@pytest.fixture
def alpha(world):
    DayOff.objects.create(project=world.alpha, date=WEDNESDAY_OFF, note="Праздник")
    telegram = world.alpha.channels.get(network="telegram")
    services.update_channel(
        world.users["smm"], telegram, slots=SLOTS, cadence={"post": 4, "carousel": 1}
    )
    return world.alpha


def telegram_slots(project):
    return [s for s in plan.draft(project, START, END) if s.network == "telegram"]


def test_items_land_on_the_channel_s_slots(alpha):
    slots = telegram_slots(alpha)
    # Mon/Wed/Fri × 2 times over two weeks, less the Wednesday off: 10 slot times.
    assert Counter(s.format for s in slots) == {"post": 8, "carousel": 2}
    assert {s.day.weekday() for s in slots} <= {0, 2, 4}
    assert WEDNESDAY_OFF not in {s.day for s in slots}
    assert {s.planned_at.time() for s in slots} == TIMES
    assert len({s.planned_at for s in slots}) == len(slots)  # each slot time used once


def test_a_channel_without_slots_keeps_the_usual_hours(alpha):
    instagram = [s for s in plan.draft(alpha, START, END) if s.network == "instagram"]
    assert instagram
    for s in instagram:
        assert s.planned_at.time() == dt.time(plan.FORMAT_HOURS.get(s.format, plan.DEFAULT_HOUR))
    assert WEDNESDAY_OFF not in {s.day for s in instagram}


def test_created_items_are_at_the_slot_times_in_the_project_zone(world, alpha):
    plan.create_draft(world.users["smm"], alpha, START, END)
    zone = zoneinfo.ZoneInfo(alpha.timezone)
    telegram = alpha.channels.get(network="telegram")
    items = ContentItem.objects.filter(project=alpha, publications__channel=telegram)
    local = [i.planned_at.astimezone(zone) for i in items]
    assert len(local) == 10
    assert {t.time() for t in local} == TIMES
    assert {t.weekday() for t in local} <= {0, 2, 4}
    assert plan.draft(alpha, START, END) == []  # a second run adds nothing


def test_a_slot_holding_an_item_is_skipped_and_kept(world, alpha):
    telegram = alpha.channels.get(network="telegram")
    mine = make_item(
        world, title="Свой ролик", format="reels", channel_ids=[telegram.pk],
        planned_at=dt.datetime(2026, 11, 23, 10, 0),
    )  # fmt: skip
    slots = telegram_slots(alpha)
    assert (dt.date(2026, 11, 23), dt.time(10, 0)) not in {
        (s.day, s.planned_at.time()) for s in slots
    }
    plan.create_draft(world.users["smm"], alpha, START, END)
    mine.refresh_from_db()
    assert mine.title == "Свой ролик" and mine.format == "reels"


def test_rubrics_stay_balanced_on_slots(alpha):
    slots = plan.draft(alpha, START, END)
    counts = Counter(s.rubric for s in slots)
    for rubric in alpha.rubrics.all():
        assert abs(counts[rubric.code] - rubric.target_share * len(slots) / 100) <= 1
