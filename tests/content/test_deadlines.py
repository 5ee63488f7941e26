"""Steps scheduled backwards from the publication: each step its own window, the expert a working
day of their own, days off skipped, and a warning (never dates in the past) when it cannot fit.

Before: a post on Saturday 12 Dec at 12:00 had the copy due Friday 16:00, the design 17:00, the
SMM's check 18:00 and the expert 18:00 too: the designer got one hour and the expert shared the
SMM's deadline.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from tests.content.conftest import make_item
from zveno.content import checks, deadlines
from zveno.core.timezones import today_in
from zveno.playbooks.loader import get_builtin

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
KINDS = ["copy", "design", "review", "expert_approval"]


@pytest.fixture(scope="module")
def effort():
    return get_builtin("real_estate").effort


def _local(due: dict) -> dict:
    return {kind: value.astimezone(MSK).strftime("%a %d.%m %H:%M") for kind, value in due.items()}


def _hours(a, b) -> float:
    return deadlines.working_hours_between(a, b, "Europe/Moscow")


def test_each_step_has_its_own_window_and_the_expert_a_working_day(effort):
    planned = dt.datetime(2026, 12, 12, 12, 0, tzinfo=MSK)  # a Saturday
    due = deadlines.schedule(planned, "post", effort, KINDS, "Europe/Moscow").due
    assert _local(due) == {
        "expert_approval": "Fri 11.12 18:00",
        "review": "Thu 10.12 18:00",
        "design": "Thu 10.12 17:00",
        "copy": "Thu 10.12 15:00",
    }
    assert _hours(due["design"], due["review"]) >= 1
    assert _hours(due["copy"], due["design"]) >= 2  # the designer's window
    assert _hours(due["review"], due["expert_approval"]) == deadlines.DAY_HOURS


def test_days_off_are_skipped(effort):
    planned = dt.datetime(2026, 12, 12, 12, 0, tzinfo=MSK)
    due = deadlines.schedule(
        planned, "post", effort, KINDS, "Europe/Moscow", days_off=[dt.date(2026, 12, 10)]
    ).due
    assert _local(due)["review"] == "Wed 09.12 18:00"  # Thursday is off: the expert's day moves
    assert _local(due)["copy"] == "Wed 09.12 15:00"


def test_a_plan_that_cannot_fit_is_squeezed_into_the_time_left_and_says_so(effort):
    planned = dt.datetime(2026, 12, 11, 12, 0, tzinfo=MSK)  # Friday noon
    now = dt.datetime(2026, 12, 10, 10, 0, tzinfo=MSK)  # Thursday morning: 11 working hours
    found = deadlines.schedule(planned, "post", effort, KINDS, "Europe/Moscow", now=now)
    assert found.tight and found.available == 11 and found.needed == 15
    dues = [found.due[kind] for kind in KINDS]
    assert dues == sorted(dues) and dues[0] > now  # no date in the past, the order kept
    relaxed = deadlines.schedule(
        planned + dt.timedelta(days=7), "post", effort, KINDS, "Europe/Moscow", now=now
    )
    assert not relaxed.tight


def test_only_the_open_steps_count(effort):
    planned = dt.datetime(2026, 12, 11, 12, 0, tzinfo=MSK)
    now = dt.datetime(2026, 12, 10, 10, 0, tzinfo=MSK)
    found = deadlines.schedule(
        planned, "post", effort, KINDS, "Europe/Moscow", now=now, done=["copy", "design"]
    )
    assert not found.tight and found.needed == 1 + 1 + deadlines.DAY_HOURS


@pytest.mark.dated
def test_an_item_due_tomorrow_warns_on_its_page_and_in_the_api(world, login, api):
    tomorrow = today_in(world.alpha.timezone) + dt.timedelta(days=1)
    soon = make_item(world, format="post", planned_at=dt.datetime.combine(tomorrow, dt.time(12)))
    later = make_item(
        world, format="post", planned_at=dt.datetime.combine(tomorrow, dt.time(12))
        + dt.timedelta(days=21),
    )  # fmt: skip
    warning = checks.schedule_warning(soon)
    assert warning and warning["needed"] > warning["available"]
    assert checks.schedule_warning(later) is None
    page = login(world.users["smm"]).get(reverse("content:item", args=[world.alpha.slug, soon.pk]))
    assert "too-tight" in page.content.decode()
    body = api(world, "smm").get(f"/api/v1/projects/alpha/items/{soon.pk}").json()
    assert body["schedule_warning"]["needed"] == warning["needed"]
    again = api(world, "smm").get(f"/api/v1/projects/alpha/items/{later.pk}").json()
    assert again["schedule_warning"] is None
    now = dt.datetime.now(dt.UTC)
    for step in soon.steps.all():  # squeezed or not, never before now when time remains
        if warning["available"] >= 1 + 0.5 * 4:
            assert step.due_at >= now.replace(second=0, microsecond=0) - dt.timedelta(minutes=15)
