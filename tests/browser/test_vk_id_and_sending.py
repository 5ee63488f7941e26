"""The VK ID button on a VK community's page, and "publish now" showing "sending…" while the
worker has it, the block polling (htmx) until the post is out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import shot
from tests.browser.test_channels_and_publications import _login
from tests.conftest import build_world
from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from tests.publishing.conftest import approved
from zveno.publishing import sending, services
from zveno.publishing.models import Dispatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_vk_community_offers_vk_id_on_a_public_installation(new_page, settings, fake_vk):
    settings.BASE_URL = "https://zveno.example.ru"
    settings.ZVENO_VK_CLIENT_ID = fake_vk.client_id
    world = build_world()
    channel = services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", f"-{VK_GROUP}")
    page, console = _login(new_page, "smm")
    page.goto(f"/p/alpha/channels/{channel.pk}/")
    assert page.locator(".vk-id-button").inner_text() == "Подключить через VK ID"
    shot(page, "channel-vk-id")
    assert console.errors == []


def test_publish_now_shows_sending_until_the_worker_answers(new_page, settings, fake_vk):
    settings.ZVENO_VK_API_URL = f"{fake_vk.url}/method"
    world = build_world()
    vk = services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", f"-{VK_GROUP}")
    vk = services.connect_channel(world.users["smm"], vk, {"access_token": VK_TOKEN})
    item = approved(
        world, [vk], text="Сейчас, а не по плану", at=timezone.now() + dt.timedelta(days=1)
    )
    page, console = _login(new_page, "smm")
    page.goto(f"/p/alpha/content/{item.pk}/")
    block = page.locator(f"#delivery-{vk.pk}")
    block.locator("button", has_text="Опубликовать сейчас").click()
    page.wait_for_load_state()
    block = page.locator(f"#delivery-{vk.pk}")
    assert "Отправляется" in block.inner_text()  # queued: no worker has answered yet
    shot(page, "publication-sending")
    assert fake_vk.accepted[VK_GROUP] == 0
    sending.deliver_queued(Dispatch.objects.get(ref=item.publications.get().pk).pk)  # the worker
    page.wait_for_selector(f"#delivery-{vk.pk} .badge.st-published", timeout=10000)
    assert "Открыть пост" in page.locator(f"#delivery-{vk.pk}").inner_text()
    shot(page, "publication-sent")
    assert fake_vk.accepted[VK_GROUP] == 1
    assert console.errors == []
