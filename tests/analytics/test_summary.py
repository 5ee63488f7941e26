"""Period summaries, daily series and the funnel over posts and days written by the services."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from zveno.analytics import services, summary

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
D = dt.date


def at(day: int, hour: int, minute: int = 0, month: int = 11):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK)


def channel(world, network):
    return world.alpha.channels.get(network=network)


def post(world, key, when, network="telegram", counters=None, **fields):
    return services.create_post(
        world.alpha,
        external_id=key,
        published_at=when,
        channel=channel(world, network),
        counters=counters,
        captured_at=when + dt.timedelta(days=2),
        **fields,
    )


@pytest.fixture
def posts(world):
    """Six posts of 10–13 November and one outside; per-post ERR 8 %, 3 % and 1 % (by hand)."""
    p1 = post(world, "p1", at(10, 12), format="post", rubric="expert", counters={
        "views": 1500, "reach": 1000, "impressions": 2000, "likes": 50, "comments": 10,
        "shares": 20,
    })  # fmt: skip
    # An earlier snapshot of p1 with smaller figures does not replace the newest one.
    services.record_snapshot(p1, at(10, 18), {"reach": 300, "likes": 5}, "manual")
    post(world, "p2", at(11, 18), network="instagram", format="reels", counters={
        "reach": 400, "likes": 10, "comments": 2, "saves": 5,
    })  # fmt: skip
    post(world, "p3", at(12, 9), format="post", counters={"likes": 5})  # no reach: not in ERR
    post(world, "p4", at(13, 10), counters={"reach": 200})  # no interactions: not in averages
    post(world, "p6", at(13, 20), format="post", counters={"reach": 100, "likes": 1})
    post(world, "p5", at(20, 12), counters={"reach": 99_999, "likes": 99})
    return world


def test_sums_of_the_latest_counters(posts):
    s = summary.summarize(posts.alpha, D(2026, 11, 10), D(2026, 11, 13))
    assert s["posts"] == 5
    assert s["reach"] == 1000 + 400 + 200 + 100
    assert s["views"] == 1500
    assert s["impressions"] == 2000
    assert s["likes"] == 50 + 10 + 5 + 1
    assert s["comments"] == 12
    assert s["shares"] == 20
    assert s["saves"] == 5
    # likes + comments + shares of each post; saves are not in the summary's reaction set.
    assert s["interactions"] == 80 + 12 + 5 + 1


def test_err_three_ways(posts):
    err = summary.summarize(posts.alpha, D(2026, 11, 10), D(2026, 11, 13))["err"]
    # Posts with both interactions and reach: p1 80/1000, p2 12/400, p6 1/100.
    assert err["ratio_of_sums"] == pytest.approx(93 / 1500 * 100)
    assert err["mean"] == pytest.approx((8 + 3 + 1) / 3)
    assert err["median"] == pytest.approx(3.0)


def test_median_of_an_even_count(posts):
    err = summary.summarize(posts.alpha, D(2026, 11, 10), D(2026, 11, 11))["err"]
    assert err["median"] == pytest.approx((8 + 3) / 2)


def test_empty_period_is_absent_not_zero(world):
    s = summary.summarize(world.alpha, D(2026, 1, 1), D(2026, 1, 31))
    assert s["posts"] == 0
    assert s["reach"] is None and s["interactions"] is None
    assert s["err"] == {"ratio_of_sums": None, "mean": None, "median": None}


def test_newest_snapshot_refreshes_latest(posts):
    p1 = posts.alpha.posts.get(external_id="p1")
    services.record_snapshot(p1, at(15, 12), {"reach": 1200, "likes": 70}, "manual")
    s = summary.summarize(posts.alpha, D(2026, 11, 10), D(2026, 11, 10))
    # The newest snapshot has only reach and likes: absent counters are absent, not carried over.
    assert (s["reach"], s["likes"], s["comments"], s["interactions"]) == (1200, 70, None, 70)


def test_group_by_network_and_format(posts):
    by_network = summary.summarize(posts.alpha, D(2026, 11, 10), D(2026, 11, 13), "network")
    assert [(g["key"], g["posts"], g["reach"]) for g in by_network] == [
        ("telegram", 4, 1300),
        ("instagram", 1, 400),
    ]
    assert by_network[1]["label"] == "Instagram"
    assert by_network[1]["err"]["median"] == pytest.approx(3.0)
    by_format = summary.summarize(posts.alpha, D(2026, 11, 10), D(2026, 11, 13), "format")
    assert {g["key"]: g["interactions"] for g in by_format} == {"post": 86, "reels": 12, "": None}


def test_weekday_and_hour_are_the_projects(world):
    # 23:30 Moscow on the 30th is the 30th (a Monday); 01:00 Moscow on 1 December is 22:00 UTC on
    # the 30th, and still belongs to Tuesday the 1st, hour 1.
    post(world, "late", at(30, 23, 30), counters={"reach": 10, "likes": 1})
    post(world, "early", at(1, 1, month=12), counters={"reach": 20, "likes": 4})
    s30 = summary.summarize(world.alpha, D(2026, 11, 30), D(2026, 11, 30))
    s1 = summary.summarize(world.alpha, D(2026, 12, 1), D(2026, 12, 1))
    assert (s30["posts"], s30["reach"], s1["posts"], s1["reach"]) == (1, 10, 1, 20)
    both = (D(2026, 11, 30), D(2026, 12, 1))
    weekdays = summary.summarize(world.alpha, *both, group_by="weekday")
    assert [(g["key"], g["reach"]) for g in weekdays] == [(1, 10), (2, 20)]
    hours = summary.summarize(world.alpha, *both, group_by="hour")
    assert [(g["key"], g["label"]) for g in hours] == [(1, "01:00"), (23, "23:00")]


def test_unknown_group_by(world):
    with pytest.raises(ValueError):
        summary.summarize(world.alpha, D(2026, 11, 1), D(2026, 11, 2), "mood")


def test_series_by_day_with_channel_days_first(posts):
    tg = channel(posts, "telegram")
    services.upsert_channel_day(posts.alpha, tg, D(2026, 11, 11), {"reach": 5000, "followers": 900})
    services.upsert_channel_day(posts.alpha, tg, D(2026, 11, 12), {"followers": 910})
    reach = summary.series(posts.alpha, "reach", D(2026, 11, 9), D(2026, 11, 13))
    # The 11th has the channel's own daily reach; the other days sum the day's posts.
    assert reach == [
        (D(2026, 11, 9), None),
        (D(2026, 11, 10), 1000),
        (D(2026, 11, 11), 5000),
        (D(2026, 11, 12), None),
        (D(2026, 11, 13), 300),
    ]
    followers = dict(summary.series(posts.alpha, "followers", D(2026, 11, 11), D(2026, 11, 12)))
    assert followers == {D(2026, 11, 11): 900, D(2026, 11, 12): 910}
    post_reach = dict(summary.series(posts.alpha, "post_reach", D(2026, 11, 13), D(2026, 11, 13)))
    assert post_reach == {D(2026, 11, 13): 200}
    err = dict(summary.series(posts.alpha, "err", D(2026, 11, 10), D(2026, 11, 10)))
    assert err[D(2026, 11, 10)] == pytest.approx(8.0)


def test_business_series_and_funnel(world):
    owner = world.users["owner"]
    post(world, "a", at(3, 12), counters={"reach": 2000, "likes": 10})
    services.upsert_business_day(owner, world.alpha, D(2026, 11, 3), {
        "dialogues": 40, "leads": 10, "sales": 2, "revenue": "150000.50",
    })  # fmt: skip
    services.upsert_business_day(
        owner, world.alpha, D(2026, 11, 4), {"dialogues": 10, "leads": 5}, campaign="Осень"
    )
    leads = summary.series(world.alpha, "leads", D(2026, 11, 3), D(2026, 11, 5))
    assert leads == [(D(2026, 11, 3), 10), (D(2026, 11, 4), 5), (D(2026, 11, 5), None)]
    revenue = dict(summary.series(world.alpha, "revenue", D(2026, 11, 3), D(2026, 11, 3)))
    assert revenue[D(2026, 11, 3)] == Decimal("150000.50")
    steps = summary.funnel(world.alpha, D(2026, 11, 1), D(2026, 11, 30))
    assert [(s["step"], s["value"]) for s in steps] == [
        ("reach", 2000),
        ("dialogues", 50),
        ("leads", 15),
        ("sales", 2),
    ]
    assert steps[0]["conversion"] is None
    assert steps[1]["conversion"] == pytest.approx(2.5)
    assert steps[2]["conversion"] == pytest.approx(30.0)
    assert steps[3]["conversion"] == pytest.approx(2 / 15 * 100)


def test_summary_query_count_does_not_grow_with_posts(posts, django_assert_max_num_queries):
    for n in range(20):
        post(posts, f"extra{n}", at(12, 10), counters={"reach": 10 + n, "likes": n})
    with django_assert_max_num_queries(3):
        summary.summarize(posts.alpha, D(2026, 11, 1), D(2026, 11, 30))
    with django_assert_max_num_queries(4):
        summary.summarize(posts.alpha, D(2026, 11, 1), D(2026, 11, 30), "rubric")
