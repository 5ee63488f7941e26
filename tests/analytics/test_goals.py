"""Goal evaluation: each kind and each aggregation against hand-computed numbers, the states,
and "reached" announced exactly once."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from zveno.analytics import goals as g
from zveno.analytics.models import BusinessDay, ChannelDay, Goal, GoalEvent, Post
from zveno.analytics.services import goals as goal_services
from zveno.notifications.models import Notification

D = dt.date
MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def business(project, start: dt.date, values: list, field: str = "dialogues"):
    BusinessDay.objects.bulk_create(
        BusinessDay(project=project, date=start + dt.timedelta(days=i), **{field: v})
        for i, v in enumerate(values)
        if v is not None
    )


def channel(project, network):
    return project.channels.get(network=network)


def post(project, day: dt.date, key: str, network="instagram", **counters):
    return Post.objects.create(
        project=project,
        channel=channel(project, network),
        network=network,
        external_id=key,
        published_at=dt.datetime.combine(day, dt.time(12), tzinfo=MSK),
        **{f"latest_{k}": v for k, v in counters.items()},
    )


def goal(world, metric, kind, target, window_days, starts_on, **extra):
    return goal_services.create_goal(
        world.users["smm"], world.alpha, name=f"{metric} {kind} {target}", metric=metric,
        kind=kind, target=target, window_days=window_days, starts_on=starts_on, activate=True,
        **extra,
    )  # fmt: skip


# --- each kind, each aggregation --------------------------------------------------------------


def test_multiple_of_a_flow_sums_the_days(world):
    # Baseline Nov 1–10: 2 a day = 20. Window Nov 11–20: 3, 5, 7, 9, 11 so far (Nov 11–15) = 35.
    business(world.alpha, D(2026, 11, 1), [2] * 10 + [3, 5, 7, 9, 11])
    target = goal(world, "dialogues", "multiple", 3, 10, D(2026, 11, 11))
    ev = g.evaluate(target, today=D(2026, 11, 15))
    assert (ev.baseline_start, ev.baseline_end) == (D(2026, 11, 1), D(2026, 11, 10))
    assert (ev.window_start, ev.window_end) == (D(2026, 11, 11), D(2026, 11, 20))
    assert ev.baseline == 20
    assert ev.current == 35
    assert ev.target_value == 60  # 20 × 3
    assert ev.progress == pytest.approx((35 - 20) / (60 - 20))  # 0.375
    assert ev.forecast == pytest.approx(35 / 5 * 10)  # 70: on pace to pass 60
    assert ev.state == "on_track"
    assert ev.days_elapsed == 5


def test_a_slow_pace_is_at_risk_and_a_closed_window_is_missed(world):
    business(world.alpha, D(2026, 11, 1), [2] * 10 + [1, 1, 1])
    target = goal(world, "dialogues", "multiple", 3, 10, D(2026, 11, 11))
    ev = g.evaluate(target, today=D(2026, 11, 13))
    assert ev.current == 3 and ev.forecast == pytest.approx(10)
    assert ev.state == "at_risk"
    later = g.evaluate(target, today=D(2026, 11, 25))
    assert later.current == 3  # the window ended on Nov 20
    assert later.forecast == 3
    assert later.state == "missed"


def test_growth_in_percent(world):
    # site visits: baseline 100 a day × 7 = 700; target +281 % = 700 × 3.81 = 2667.
    business(world.alpha, D(2026, 11, 1), [100] * 7 + [400] * 7, field="site_visits")
    target = goal(world, "site_visits", "growth_pct", 281, 7, D(2026, 11, 8))
    ev = g.evaluate(target, today=D(2026, 11, 30))
    assert ev.baseline == 700
    assert ev.current == 2800
    assert ev.target_value == pytest.approx(2667)
    assert ev.progress == pytest.approx((2800 - 700) / (2667 - 700))
    assert ev.growth_pct == pytest.approx(300)
    assert ev.state == "reached"


def test_absolute_money_goal(world):
    business(world.alpha, D(2026, 11, 10), [Decimal("1500000.50"), Decimal("2000000")],
             field="revenue")  # fmt: skip
    target = goal(world, "revenue", "absolute", 6_500_000, 14, D(2026, 11, 10))
    ev = g.evaluate(target, today=D(2026, 11, 11))
    assert ev.current == pytest.approx(3_500_000.5)
    assert ev.target_value == 6_500_000
    assert ev.progress == pytest.approx(3_500_000.5 / 6_500_000)
    assert ev.forecast == pytest.approx(3_500_000.5 / 2 * 14)
    assert ev.state == "on_track"


def test_followers_take_the_last_value_and_a_linear_trend(world):
    tg, ig = channel(world.alpha, "telegram"), channel(world.alpha, "instagram")
    rows = []
    for i in range(8):  # Nov 1–4 baseline, Nov 5–8 window (so far Nov 5–7)
        day = D(2026, 11, 1) + dt.timedelta(days=i)
        rows.append(ChannelDay(project=world.alpha, channel=tg, date=day, followers=1000 + 10 * i))
        rows.append(ChannelDay(project=world.alpha, channel=ig, date=day, followers=500 + 20 * i))
    ChannelDay.objects.bulk_create(rows)
    target = goal(world, "followers", "growth_pct", 10, 4, D(2026, 11, 5))
    ev = g.evaluate(target, today=D(2026, 11, 7))
    # end of baseline (Nov 4, i=3): 1030 + 560 = 1590; end so far (Nov 7, i=6): 1060 + 620 = 1680
    assert ev.baseline == 1590
    assert ev.current == 1680
    assert ev.target_value == pytest.approx(1749)
    # +30 a day (Nov 5: 1620, Nov 6: 1650, Nov 7: 1680) → Nov 8: 1710, short of 1749
    assert ev.forecast == pytest.approx(1710)
    assert ev.state == "at_risk"


def test_post_reach_takes_the_largest_post(world):
    post(world.alpha, D(2026, 11, 3), "a", reach=320)
    post(world.alpha, D(2026, 11, 5), "b", reach=540)
    post(world.alpha, D(2026, 11, 6), "c", reach=410)
    post(world.alpha, D(2026, 12, 5), "late", reach=9000)  # after the window
    target = goal(world, "post_reach", "absolute", 500, 30, D(2026, 11, 1))
    ev = g.evaluate(target, today=D(2026, 11, 20))
    assert ev.current == 540
    assert ev.forecast == 540
    assert ev.progress == pytest.approx(540 / 500)
    assert ev.state == "reached"


def test_err_by_reach_is_a_ratio_of_sums(world):
    # baseline Nov 1–5: (10+0+0)/(1000) and (20+5+5)/(1000) → 40/2000 = 2 %
    post(world.alpha, D(2026, 11, 2), "b1", reach=1000, likes=10)
    post(world.alpha, D(2026, 11, 4), "b2", reach=1000, likes=20, comments=5, shares=5)
    # window Nov 6–10: (45+5)/500 and (10)/1500 → 60/2000 = 3 %, (the mean would be 5.33 %)
    post(world.alpha, D(2026, 11, 7), "w1", reach=500, likes=45, comments=5)
    post(world.alpha, D(2026, 11, 8), "w2", reach=1500, likes=10)
    target = goal(world, "er_reach", "multiple", 2, 5, D(2026, 11, 6))
    ev = g.evaluate(target, today=D(2026, 11, 12))
    assert ev.baseline == pytest.approx(2.0)
    assert ev.current == pytest.approx(3.0)
    assert ev.target_value == pytest.approx(4.0)
    assert ev.progress == pytest.approx(0.5)
    assert ev.state == "missed"


def test_telegram_err_is_average_views_over_subscribers(world):
    tg = channel(world.alpha, "telegram")
    ChannelDay.objects.create(project=world.alpha, channel=tg, date=D(2026, 11, 9), followers=2000)
    post(world.alpha, D(2026, 11, 5), "t1", network="telegram", views=300)
    post(world.alpha, D(2026, 11, 8), "t2", network="telegram", views=500)
    post(world.alpha, D(2026, 11, 8), "i1", network="instagram", views=99999)
    target = goal(world, "err_telegram", "absolute", 20, 10, D(2026, 11, 1))
    ev = g.evaluate(target, today=D(2026, 11, 10))
    assert ev.current == pytest.approx(400 / 2000 * 100)  # 20 %
    assert ev.state == "reached"


def test_an_entered_baseline_replaces_the_computed_one(world):
    business(world.alpha, D(2026, 11, 1), [5] * 10, field="leads")
    target = goal(world, "leads", "multiple", 2, 5, D(2026, 11, 6), baseline_mode="entered",
                  baseline_value=10)  # fmt: skip
    ev = g.evaluate(target, today=D(2026, 11, 10))
    assert ev.baseline == 10  # not the 25 of Nov 1–5
    assert ev.current == 25
    assert ev.target_value == 20
    assert ev.state == "reached"


def test_no_data_when_the_baseline_is_empty(world):
    business(world.alpha, D(2026, 11, 11), [4, 4], field="leads")
    target = goal(world, "leads", "multiple", 2, 10, D(2026, 11, 11))
    ev = g.evaluate(target, today=D(2026, 11, 12))
    assert ev.baseline is None
    assert ev.current == 8
    assert ev.target_value is None and ev.progress is None
    assert ev.state == "no_data"
    nothing = goal(world, "sales", "absolute", 5, 10, D(2026, 11, 11))
    assert g.evaluate(nothing, today=D(2026, 11, 12)).state == "no_data"


# --- recording, notifying -------------------------------------------------------------------


def test_reached_is_announced_once_and_stays_reached(world):
    business(world.alpha, D(2026, 11, 1), [1] * 5 + [3] * 5, field="leads")
    target = goal(world, "leads", "multiple", 2, 5, D(2026, 11, 6))
    for _ in range(3):
        g.evaluate_project(world.alpha, today=D(2026, 11, 12))
    assert g.evaluate_all(today=D(2026, 11, 12)) >= 1
    target.refresh_from_db()
    assert target.state == "reached"
    assert target.current_value == Decimal("15")
    assert target.reached_at is not None and target.evaluated_at is not None
    assert GoalEvent.objects.filter(goal=target, verb="reached").count() == 1
    notes = Notification.objects.filter(key=f"goal:{target.pk}", verb="goal_reached")
    # owner (workspace owner and producer), the SMM and the expert; not the copywriter
    assert {n.user.username for n in notes} == {"owner", "smm", "expert"}
    assert notes.count() == 3
    assert all(target.name in n.text and n.url.endswith(f"/goals/{target.pk}/") for n in notes)
    # the data shrinks afterwards: a reached goal stays reached, and nothing is announced again
    BusinessDay.objects.filter(project=world.alpha, date__gte=D(2026, 11, 6)).delete()
    g.evaluate_project(world.alpha, today=D(2026, 11, 13))
    target.refresh_from_db()
    assert target.state == "reached"
    assert GoalEvent.objects.filter(goal=target, verb="reached").count() == 1
    assert Notification.objects.filter(key=f"goal:{target.pk}").count() == 3


def test_missed_is_logged_once_without_a_notification(world):
    business(world.alpha, D(2026, 11, 1), [4] * 5 + [1] * 5, field="leads")
    target = goal(world, "leads", "multiple", 2, 5, D(2026, 11, 6))
    g.evaluate_project(world.alpha, today=D(2026, 11, 20))
    g.evaluate_project(world.alpha, today=D(2026, 11, 21))
    target.refresh_from_db()
    assert target.state == "missed" and target.reached_at is None
    assert GoalEvent.objects.filter(goal=target, verb="missed").count() == 1
    assert not Notification.objects.filter(key=f"goal:{target.pk}").exists()


def test_evaluate_all_skips_drafts_and_paused_projects(world):
    business(world.alpha, D(2026, 11, 1), [1] * 10, field="leads")
    active = goal(world, "leads", "absolute", 3, 10, D(2026, 11, 1))
    draft = world.alpha.goals.filter(status="draft").first()
    assert draft is not None  # drafted from the real-estate playbook
    g.evaluate_all(today=D(2026, 11, 5))
    active.refresh_from_db()
    draft.refresh_from_db()
    assert active.state == "reached" and active.evaluated_at is not None
    assert draft.evaluated_at is None
    world.alpha.status = "paused"
    world.alpha.save(update_fields=["status"])
    stamp = active.evaluated_at
    assert g.evaluate_all(today=D(2026, 11, 6)) == 0
    active.refresh_from_db()
    assert active.evaluated_at == stamp


def test_editing_what_is_measured_forgets_reached(world):
    business(world.alpha, D(2026, 11, 1), [1] * 10, field="leads")
    target = goal(world, "leads", "absolute", 3, 10, D(2026, 11, 1))
    g.evaluate_project(world.alpha, today=D(2026, 11, 5))
    target.refresh_from_db()
    assert target.reached_at is not None
    goal_services.update_goal(world.users["smm"], target, name="Renamed")
    target.refresh_from_db()
    assert target.reached_at is not None  # a new name measures the same thing
    goal_services.update_goal(world.users["smm"], target, target=50)
    target.refresh_from_db()
    assert target.reached_at is None
    assert g.evaluate(target, today=D(2026, 11, 5)).state == "at_risk"


def test_activation_starts_the_window_at_the_project_start(world):
    draft = world.alpha.goals.filter(status="draft", window_days__gte=30).first()
    activated = goal_services.activate_goal(world.users["smm"], draft)
    today = g.today_in(world.alpha.timezone)
    expected = goal_services.default_start(activated, today)
    assert activated.starts_on == expected
    assert activated.status == "active"
    assert list(activated.events.values_list("verb", flat=True)) == ["activated"]


def test_for_project_lists_the_active_goals_with_evaluations(world):
    business(world.alpha, D(2026, 11, 1), [2] * 10, field="leads")
    target = goal(world, "leads", "absolute", 100, 10, D(2026, 11, 1))
    pairs = g.for_project(world.alpha, today=D(2026, 11, 5))
    assert [pair[0].pk for pair in pairs] == [target.pk]
    assert pairs[0][1].current == 10
    assert isinstance(pairs[0][0], Goal)


def test_bar_positions_of_an_absolute_goal_start_at_zero(world):
    # 2 leads a day from Oct 22: the baseline (Oct 22–31) is 20, but an absolute goal's bar
    # runs from 0 to the target.
    business(world.alpha, D(2026, 10, 22), [2] * 20, field="leads")
    target = goal(world, "leads", "absolute", 100, 10, D(2026, 11, 1))
    ev = g.evaluate(target, today=D(2026, 11, 5))
    assert (ev.baseline, ev.current, ev.forecast) == (20, 10, 20)
    assert ev.progress_pct == pytest.approx(10)
    assert ev.forecast_pct == pytest.approx(20)
    multiple = goal(world, "leads", "multiple", 2, 10, D(2026, 11, 1))
    ev = g.evaluate(multiple, today=D(2026, 11, 5))
    assert ev.target_value == 40
    assert ev.progress_pct == 0  # 10 is below the baseline of 20: clipped, raw is -0.5
    assert ev.progress == pytest.approx(-0.5)
    assert ev.forecast_pct == 0
