"""The channels page and the inline publication editor in a real browser (htmx at work)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, build_world
from tests.content.conftest import make_item
from zveno.publishing import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(new_page, username):
    page, console = new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".public-card form button.primary")
    page.wait_for_load_state()
    return page, console


def test_channels_page_adds_a_channel_with_slots(new_page):
    world = build_world()
    telegram = world.alpha.channels.get(network="telegram")
    slots = [{"weekday": d, "time": t} for d in (0, 2, 4) for t in ("10:00", "19:00")]
    services.update_channel(
        world.users["owner"], telegram, name="Альфа: новостройки", handle="@alpha_homes",
        slots=slots, cadence={"post": 4, "carousel": 1},
    )  # fmt: skip
    make_item(world)
    page, console = _login(new_page, "smm")
    page.goto("/p/alpha/channels/")
    page.select_option("#id_network", "vk")
    page.fill("#id_name", "Альфа ВКонтакте")
    page.fill("#id_handle", "https://vk.com/alpha_homes")
    page.fill("#id_slots", "Вт, Чт 12:00\nСб 11:00")
    page.fill("#id_cadence_post", "3")
    page.click(".channel-add button.primary")
    page.wait_for_load_state()
    row = page.locator("tr", has_text="Альфа ВКонтакте")
    assert "Вт, Чт 12:00" in row.inner_text() and "Сб 11:00" in row.inner_text()
    assert "Пн, Ср, Пт 10:00, 19:00" in page.content()
    shot(page, "channels-page")
    assert console.errors == []


def test_item_page_edits_one_publication_in_place(new_page):
    world = build_world()
    item = make_item(world, text="Общий текст поста про проверку застройщика.")
    instagram = item.publications.get(channel__network="instagram")
    page, console = _login(new_page, "copywriter")
    page.goto(f"/p/alpha/content/{item.pk}/")
    row = page.locator(f"#pub-{instagram.channel_id}")
    row.locator("a.pub-edit").click()
    page.wait_for_selector(f"#pub-{instagram.channel_id}.editing textarea")
    page.fill(f"#pub{instagram.channel_id}-planned_at", "2026-11-18T19:30")
    textarea = page.locator(f"#pub-text-{instagram.channel_id}")
    textarea.fill("Длинная подпись. " * 140)  # about 2,380 characters: over Instagram's 2,200
    page.wait_for_selector(f"#pub-warnings-{instagram.channel_id} .warn")
    shot(page, "item-publication-editing")
    page.locator(f"#pub-{instagram.channel_id} button.primary").click()
    page.wait_for_selector(f"#pub-{instagram.channel_id}:not(.editing) .pub-own")
    saved = page.locator(f"#pub-{instagram.channel_id}").inner_text()
    assert "18.11.2026 19:30" in saved and "2200" in saved
    instagram.refresh_from_db()
    assert instagram.text.startswith("Длинная подпись.")
    shot(page, "item-publication-saved")
    assert console.errors == []
