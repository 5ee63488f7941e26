"""Whoever holds an item is reminded of its step: a day ahead, then daily while overdue."""

from __future__ import annotations

import datetime as dt

from zveno.content import services as content
from zveno.content import step_notices
from zveno.notifications.models import Notification


def test_the_step_holder_hears_before_and_after_the_due_time(world, clock):
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC))
    smm = world.users["smm"]
    planned = dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC)
    item = content.create_item(smm, world.alpha, title="Ипотека", format="post", planned_at=planned)
    content.transition(smm, item, "copy")
    step = item.steps.get(kind="copy")
    holder = step.assignee.user
    step.due_at = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
    step.save()
    assert step_notices.remind() == 1
    assert step_notices.remind() == 1
    assert Notification.objects.filter(user=holder, verb="step_due_soon").count() == 1
    clock.move_to(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC))
    step_notices.remind()
    clock.move_to(dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC))
    step_notices.remind()
    assert Notification.objects.filter(user=holder, verb="step_overdue").count() == 2  # daily
    content.transition(holder, item, "design")
    assert step_notices.remind() == 0  # the item moved on: nothing to remind of
