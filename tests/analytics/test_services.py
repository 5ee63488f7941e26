"""Metric writes: snapshots keep Post.latest_* right; channel and business days upsert, validate."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from zveno.analytics import services
from zveno.analytics.models import BusinessDay, ChannelDay, Post, PostSnapshot

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
DAY = dt.date(2026, 11, 12)


def at(day, hour=12):
    return dt.datetime(2026, 11, day, hour, tzinfo=MSK)


@pytest.fixture
def post(world):
    return services.create_post(
        world.alpha, external_id="tg:1", published_at=at(10),
        channel=world.alpha.channels.get(network="telegram"), title="Первый пост",
    )  # fmt: skip


def latest(post):
    post.refresh_from_db()
    return post.latest_reach, post.latest_likes, post.latest_comments, post.last_captured_at


def test_create_post_takes_the_channels_network_and_refuses_duplicates(world, post):
    assert post.network == "telegram" and post.source == "manual"
    with pytest.raises(ValidationError) as exc:
        services.create_post(world.alpha, external_id="tg:1", published_at=at(11))
    assert "external_id" in exc.value.message_dict
    stranger = world.beta.channels.create(network="vk", name="Чужой")
    with pytest.raises(ValidationError) as exc:
        services.create_post(world.alpha, external_id="x", published_at=at(11), channel=stranger)
    assert "channel" in exc.value.message_dict
    assert Post.objects.filter(project=world.alpha).count() == 1


def test_snapshots_keep_latest_equal_to_the_newest(post):
    services.record_snapshot(post, at(11), {"reach": 100, "likes": 4})
    assert (post.latest_reach, post.last_captured_at) == (100, at(11))  # the caller's copy too
    assert latest(post) == (100, 4, None, at(11))
    services.record_snapshot(post, at(13), {"reach": 300, "likes": 9, "comments": 2})
    assert latest(post) == (300, 9, 2, at(13))
    # A late-arriving older capture is stored but does not replace the newest.
    services.record_snapshot(post, at(12), {"reach": 200, "likes": 6})
    assert latest(post) == (300, 9, 2, at(13))
    # Correcting the newest capture in place (same moment) refreshes the post; others stay.
    services.record_snapshot(post, at(13), {"likes": 11})
    assert latest(post) == (300, 11, 2, at(13))
    assert post.snapshots.count() == 3


def test_snapshot_validation_saves_nothing(post):
    for counters in ({"reach": -1}, {"likes": 1.5}, {"likes": "много"}, {"mood": 3}):
        with pytest.raises(ValidationError):
            services.record_snapshot(post, at(11), counters)
    with pytest.raises(ValidationError):
        services.record_snapshot(post, dt.datetime(2026, 11, 11, 12), {"reach": 1})  # naive
    assert PostSnapshot.objects.count() == 0
    assert latest(post) == (None, None, None, None)


def test_channel_day_upserts(world):
    tg = world.alpha.channels.get(network="telegram")
    services.upsert_channel_day(world.alpha, tg, DAY, {"followers": 900, "reach": 1200})
    services.upsert_channel_day(world.alpha, tg, DAY, {"followers": 905, "gained": 7})
    day = ChannelDay.objects.get()
    assert (day.followers, day.reach, day.gained, day.lost) == (905, 1200, 7, None)
    with pytest.raises(ValidationError):
        services.upsert_channel_day(world.alpha, tg, DAY, {"lost": -3})
    with pytest.raises(ValidationError):
        services.upsert_channel_day(world.alpha, None, DAY, {"followers": 1})


def test_business_day_upsert_key_is_project_date_channel_campaign(world):
    smm = world.users["smm"]
    tg = world.alpha.channels.get(network="telegram")
    services.upsert_business_day(smm, world.alpha, DAY, {"leads": 3, "revenue": "1500,50"})
    services.upsert_business_day(smm, world.alpha, DAY, {"leads": 4, "sales": 1})
    services.upsert_business_day(smm, world.alpha, DAY, {"leads": 2}, channel=tg)
    services.upsert_business_day(smm, world.alpha, DAY, {"leads": 1}, campaign=" Осень ")
    services.upsert_business_day(smm, world.alpha, DAY, {"leads": 5}, campaign="Осень")
    rows = {(r.channel_id, r.campaign): r for r in BusinessDay.objects.filter(project=world.alpha)}
    assert set(rows) == {(None, ""), (tg.pk, ""), (None, "Осень")}
    whole = rows[(None, "")]
    assert (whole.leads, whole.sales, whole.revenue) == (4, 1, Decimal("1500.50"))
    assert whole.updated_by == smm and whole.source == "manual"
    assert rows[(None, "Осень")].leads == 5
    # None clears a counter: "not logged", not zero.
    services.upsert_business_day(smm, world.alpha, DAY, {"sales": None})
    whole.refresh_from_db()
    assert whole.sales is None and whole.leads == 4


@pytest.mark.parametrize(
    ("counters", "field"),
    [
        ({"leads": -1}, "leads"),
        ({"sales": "2.5"}, "sales"),
        ({"revenue": "-10"}, "revenue"),
        ({"ad_spend": "10.005"}, "ad_spend"),
        ({"revenue": "abc"}, "revenue"),
        ({"followers": 10}, "followers"),
    ],
)
def test_business_day_validation_saves_nothing(world, counters, field):
    with pytest.raises(ValidationError) as exc:
        services.upsert_business_day(world.users["smm"], world.alpha, DAY, {"leads": 1, **counters})
    assert field in exc.value.message_dict
    assert not BusinessDay.objects.exists()


def test_business_day_needs_log_metrics(world):
    with pytest.raises(PermissionDenied):
        services.upsert_business_day(world.users["copywriter"], world.alpha, DAY, {"leads": 1})
    with pytest.raises(Http404):
        services.upsert_business_day(world.users["outsider"], world.alpha, DAY, {"leads": 1})
    other = world.beta.channels.create(network="vk", name="Чужой")
    with pytest.raises(ValidationError) as exc:
        services.upsert_business_day(world.users["smm"], world.alpha, DAY, {"leads": 1}, other)
    assert "channel" in exc.value.message_dict
    assert not BusinessDay.objects.exists()
