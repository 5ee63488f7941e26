"""The channel pages in a browser: where the figures come from, how fresh, and "Collect now"."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, build_world
from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from zveno.analytics import collection
from zveno.analytics.models import Collection
from zveno.core.celery import app
from zveno.publishing import services as publishing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_channels_say_their_source_and_collect_now_reads_the_network(new_page, fake_vk, settings):
    settings.ZVENO_VK_API_URL = f"{fake_vk.url}/method"
    settings.ZVENO_VK_MIN_INTERVAL = 0
    world = build_world()
    owner = world.users["owner"]
    channel = publishing.add_channel(owner, world.alpha, "vk", "Альфа ВК", str(VK_GROUP))
    publishing.connect_channel(owner, channel, {"access_token": VK_TOKEN})
    fake_vk.add_post(VK_GROUP, "Сданный дом на Лесной", date=timezone.now().timestamp() - 7200)
    collection.collect_project(world.alpha)

    page, console = new_page()
    page.goto("/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click(".public-card form button.primary")
    page.wait_for_load_state()
    page.goto("/p/alpha/analytics/channels/")
    row = page.locator(".channel-list tr", has_text="Альфа ВК")
    assert "Собрано из сети ВКонтакте" in row.inner_text()
    telegram = page.locator(".channel-list tr", has_text="Telegram")
    assert "Канал не подключён" in telegram.inner_text()
    shot(page, "analytics-channels-freshness")

    page.goto(f"/p/alpha/analytics/channels/{channel.pk}/")
    assert "Собрано из сети ВКонтакте" in page.locator(".channel-source").inner_text()
    app.conf.task_always_eager = True  # the queued pass runs in place, as the worker would
    try:
        page.click(".collect-now button")
        page.wait_for_load_state()
    finally:
        app.conf.task_always_eager = False
    assert Collection.objects.filter(channel=channel, trigger="manual").exists()
    assert "Собираем" in page.content()
    shot(page, "analytics-channel-freshness")
    assert not console.errors, console.errors
