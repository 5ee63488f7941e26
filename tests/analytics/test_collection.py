"""Metrics that collect themselves: VK (and the other networks) read into analytics on a decaying
schedule, posts made by hand picked up and matched to the plan, goals reached without typing."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.fakes.fixtures import (
    MAX_CHANNEL,
    MAX_TOKEN,
    TG_CHANNEL_NAME,
    TG_TOKEN,
    VK_GROUP,
    VK_TOKEN,
)
from zveno.analytics import collection
from zveno.analytics.models import ChannelDay, Collection, GoalState, Post, PostSnapshot
from zveno.analytics.services import goals
from zveno.content import services as content
from zveno.notifications.models import Notification
from zveno.publishing import services as publishing

START = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Moscow


@pytest.fixture
def vk_channel(world, fake_vk, settings):
    fake_vk.limits = False  # a month of passes in seconds: no 3 calls a second here
    settings.ZVENO_VK_MIN_INTERVAL = 0
    settings.PUBLISHING_INTERVALS = {}  # nor the shared slots (one test below keeps them)
    settings.ZVENO_VK_API_URL = f"{fake_vk.url}/method"
    owner = world.users["owner"]
    channel = publishing.add_channel(owner, world.alpha, "vk", name="Альфа ВК")
    publishing.connect_channel(owner, channel, {"access_token": VK_TOKEN}, handle=str(VK_GROUP))
    channel.refresh_from_db()
    return channel


def planned_item(world, channel, title: str, text: str, when: dt.datetime):
    item = content.create_item(
        world.users["smm"], world.alpha, title=title, format="post", text=text, planned_at=when,
        channel_ids=[channel.pk],
    )  # fmt: skip
    return item.publications.get(channel=channel)


def at(moment: dt.datetime):
    """Our clock and the fake network's clock at the same instant."""
    return time_machine.travel(moment, tick=False)


def test_a_month_of_collection_reaches_a_reach_goal_without_typing(world, fake_vk, vk_channel):
    fake_vk.freeze()
    fake_vk.set_time(START.timestamp())
    texts = [f"Пост {n}: как выбрать квартиру в новостройке, часть {n}" for n in range(1, 9)]
    publications = []
    for n, text in enumerate(texts):
        when = START + dt.timedelta(days=3 * n)
        publications.append(planned_item(world, vk_channel, f"Пост {n + 1}", text, when))
    goal = goals.create_goal(
        world.users["owner"], world.alpha, name="Охват поста 900", metric="post_reach",
        kind="absolute", target=900, window_days=30, starts_on=START.date(), activate=True,
    )  # fmt: skip
    moment = START
    end = START + dt.timedelta(days=30)
    while moment <= end:
        fake_vk.set_time(moment.timestamp())
        for n, text in enumerate(texts):  # the SMM posts by hand on the planned day
            planned = START + dt.timedelta(days=3 * n)
            if planned <= moment < planned + dt.timedelta(hours=6) and not any(
                p["text"] == text for p in fake_vk.posts(VK_GROUP)
            ):
                fake_vk.add_post(VK_GROUP, text, date=planned.timestamp() + 600)
        with at(moment):
            collection.collect_project(world.alpha)
        moment += dt.timedelta(hours=6)

    posts = Post.objects.filter(channel=vk_channel)
    assert posts.count() == 8
    # every post found its publication of the plan, which now says published with its link
    assert set(posts.values_list("publication_id", flat=True)) == {p.pk for p in publications}
    for publication in publications:
        publication.refresh_from_db()
        assert publication.status == "published"
        assert publication.url.startswith("https://vk.com/wall-123_")
    # the decaying schedule: the first post has its 1 h … 7 d captures (the pass runs every 6 h)
    first = posts.get(publication=publications[0])
    ages = [
        (s.captured_at - first.published_at)
        for s in PostSnapshot.objects.filter(post=first).order_by("captured_at")
    ]
    assert len(ages) <= 7, ages  # at most one capture per age (and the first sighting)
    assert ages[-1] >= dt.timedelta(days=7)
    assert first.latest_reach and first.latest_views > first.latest_reach
    assert ChannelDay.objects.filter(channel=vk_channel, source="connector").count() >= 30
    goal.refresh_from_db()
    assert goal.state == GoalState.REACHED
    assert Notification.objects.filter(user=world.users["owner"], url__contains="/goals/").exists()


def test_a_pass_repeated_changes_nothing(world, fake_vk, vk_channel):
    fake_vk.add_post(
        VK_GROUP, "Сделано руками, не по плану", date=timezone.now().timestamp() - 7200
    )
    collection.collect_project(world.alpha)
    counts = (Post.objects.count(), PostSnapshot.objects.count(), ChannelDay.objects.count())
    collection.collect_project(world.alpha)
    assert (
        Post.objects.count(),
        PostSnapshot.objects.count(),
        ChannelDay.objects.count(),
    ) == counts
    unplanned = Post.objects.get(channel=vk_channel)
    assert unplanned.publication is None and unplanned.source == "connector"
    assert Collection.objects.filter(channel=vk_channel).count() == 2


def test_a_post_vk_refuses_keeps_its_counters_and_the_pass_says_partly(world, fake_vk, vk_channel):
    fake_vk.add_post(VK_GROUP, "Пост", date=timezone.now().timestamp() - 7200)
    fake_vk.fail_next(210, "stats.getPostReach", message="Access to post statistics denied")
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == vk_channel.pk]
    assert row.status == "partial" and row.message
    post = Post.objects.get(channel=vk_channel)
    assert post.latest_views is not None and post.latest_reach is None


def test_a_revoked_token_fails_the_pass_and_the_channel_page_says_why(
    world, fake_vk, vk_channel, login
):
    fake_vk.revoke(VK_TOKEN)
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == vk_channel.pk]
    assert row.status == "failed"
    page = login(world.users["owner"]).get(
        reverse("analytics:channel", args=[world.alpha.slug, vk_channel.pk])
    )
    body = page.content.decode()
    assert "Не собрано из сети ВКонтакте" in body
    assert row.message in body


def test_a_channel_not_connected_or_without_a_connector_says_so(world, settings):
    owner = world.users["owner"]
    insta = publishing.add_channel(owner, world.alpha, "instagram", name="Инста")
    vk = publishing.add_channel(owner, world.alpha, "vk", name="ВК без токена")
    rows = {r.channel_id: r for r in collection.collect_project(world.alpha)}
    assert rows[insta.pk].status == "unsupported"
    assert rows[vk.pk].status == "not_connected"


def test_the_command_and_the_api_and_the_button(world, fake_vk, vk_channel, client, login):
    fake_vk.add_post(VK_GROUP, "Пост для команды", date=timezone.now().timestamp() - 3600)
    out = io.StringIO()
    call_command("collect", world.alpha.slug, stdout=out)
    assert "ok" in out.getvalue() and "1 new post" in out.getvalue()

    token = world.tokens["owner"]
    api = client.get(
        f"/api/v1/projects/{world.alpha.slug}/collections", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert api.status_code == 200
    [latest] = [c for c in api.json() if c["channel_id"] == vk_channel.pk]
    assert latest["status"] == "ok" and latest["picked_up"] == 1
    queued = client.post(
        f"/api/v1/projects/{world.alpha.slug}/collect", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert queued.status_code == 202
    copy_token = world.tokens["copywriter"]
    refused = client.post(
        f"/api/v1/projects/{world.alpha.slug}/collect", HTTP_AUTHORIZATION=f"Bearer {copy_token}"
    )
    assert refused.status_code in (403, 404)

    owner = login(world.users["owner"])
    page = owner.get(reverse("analytics:channels", args=[world.alpha.slug])).content.decode()
    assert "Собрано из сети ВКонтакте" in page and "Собрать сейчас" in page
    answer = owner.post(reverse("analytics:collect_now", args=[world.alpha.slug]))
    assert answer.status_code == 302


def test_max_views_and_participants_are_collected(world, fake_max, settings):
    settings.ZVENO_MAX_API_URL = fake_max.url
    owner = world.users["owner"]
    channel = publishing.add_channel(owner, world.alpha, "max", name="Альфа MAX")
    publishing.connect_channel(owner, channel, {"bot_token": MAX_TOKEN}, handle=str(MAX_CHANNEL))
    message = fake_max.add_post(MAX_CHANNEL, "Пост в MAX", date=timezone.now().timestamp() - 7200)
    fake_max.set_views(message["body"]["mid"], 321)
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == channel.pk]
    assert row.status == "ok", row.message
    post = Post.objects.get(channel=channel)
    assert post.latest_views == 321 and post.network_id == message["body"]["mid"]
    day = ChannelDay.objects.get(channel=channel)
    assert day.followers == fake_max.participants(MAX_CHANNEL)


def test_telegram_collects_followers_and_says_views_come_from_tgstat(
    world, fake_telegram, settings, login
):
    settings.ZVENO_TELEGRAM_API_URL = fake_telegram.url
    owner = world.users["owner"]
    channel = world.alpha.channels.get(network="telegram")
    publishing.connect_channel(
        owner, channel, {"bot_token": TG_TOKEN}, handle=f"@{TG_CHANNEL_NAME}"
    )
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == channel.pk]
    assert row.status == "ok", row.message
    assert ChannelDay.objects.get(channel=channel).followers == 500
    page = login(owner).get(reverse("analytics:channel", args=[world.alpha.slug, channel.pk]))
    assert "TGStat" in page.content.decode()


def test_a_post_the_scheduler_published_is_snapshotted_by_its_id_and_never_doubled(
    world, fake_vk, vk_channel
):
    from tests.publishing.conftest import approved
    from zveno.publishing import delivery

    item = approved(world, [vk_channel], text="Опубликовано Звеном")
    assert delivery.run_pass("test-worker").published == 1
    publication = item.publications.get()
    post = Post.objects.get(publication=publication)  # known at once, before any pass
    assert post.network_id.startswith(f"-{VK_GROUP}_") and post.source == "connector"
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == vk_channel.pk]
    assert row.picked_up == 0  # the wall's post is the one analytics knew already
    assert row.snapshots == 1
    post.refresh_from_db()
    assert post.latest_views is not None
    assert Post.objects.filter(channel=vk_channel).count() == 1


def test_a_pass_shares_the_tokens_rate_limit_with_publishing(world, fake_vk, vk_channel, settings):
    from zveno.publishing import limits

    settings.PUBLISHING_INTERVALS = {"vk": (0.34, 0.0)}
    target = publishing.target_for(vk_channel)
    keys = limits.keys_for(vk_channel, target.credentials)
    limits.block(list(keys), 600)  # publishing was told to wait ten minutes on this token
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == vk_channel.pk]
    assert row.status == "failed" and row.requests == 0
    assert fake_vk.calls.total() == 0

    limits.block(list(keys), 0.001)  # the wait is over: the next pass reads the channel
    time.sleep(0.01)
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == vk_channel.pk]
    assert row.status == "ok" and row.requests > 0


def test_max_403_fails_the_pass_with_the_reason(world, fake_max, settings):
    settings.ZVENO_MAX_API_URL = fake_max.url
    owner = world.users["owner"]
    channel = publishing.add_channel(owner, world.alpha, "max", name="Альфа MAX")
    publishing.connect_channel(owner, channel, {"bot_token": MAX_TOKEN}, handle=str(MAX_CHANNEL))
    fake_max.remove_bot(MAX_CHANNEL, MAX_TOKEN)
    [row] = [r for r in collection.collect_project(world.alpha) if r.channel_id == channel.pk]
    assert row.status == "failed" and row.message
    channel.refresh_from_db()
    assert channel.connection == "needs_reconnect"
