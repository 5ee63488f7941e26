"""A person links Telegram from the profile: a one-time deep link, /start in the chat, and the
page notices by itself that the chat is linked."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD, make_user
from tests.fakes.fixtures import TG_TOKEN
from zveno.bots import polling
from zveno.notifications.models import MessengerAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAT = 5001


def test_linking_telegram_from_the_profile(new_page, settings, fake_telegram):
    settings.ZVENO_TELEGRAM_BOT_TOKEN = TG_TOKEN
    settings.ZVENO_TELEGRAM_API_URL = fake_telegram.url
    fake_telegram.add_user(CHAT, "Ольга", "olga_expert")
    make_user("olga", name="Ольга Петрова")

    page, console = new_page(viewport={"width": 390, "height": 844})  # the expert's phone
    page.goto("/profile/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click(".content form button.primary, .public-card form button.primary")
    page.wait_for_url("**/profile/")
    page.click("a[href='/profile/notifications/']")
    page.wait_for_url("**/profile/notifications/")
    shot(page, "messenger-01-preferences")
    page.click("[data-messenger=telegram] a.btn")
    page.wait_for_url("**/profile/messengers/telegram/link/")
    page.click(".content form button[type=submit]")
    deep_link = page.locator("#deep-link").get_attribute("href")
    assert re.fullmatch(r"https://t\.me/zveno_bot\?start=[\w-]{20,64}", deep_link)
    assert page.locator("#link-status").is_visible()
    shot(page, "messenger-02-deep-link")

    # the person opens the link in Telegram and presses Start; the bot reads it by polling
    fake_telegram.user_start(CHAT, deep_link.rsplit("=", 1)[1])
    assert polling.poll_once("telegram", timeout=0) == 1
    page.wait_for_selector("[data-linked=telegram]", timeout=10000)  # the page polls by itself
    assert "@olga_expert" in page.locator("#link-status").inner_text()
    shot(page, "messenger-03-linked")
    assert MessengerAccount.objects.get(user__username="olga").chat_id == str(CHAT)
    assert "Ольга Петрова" in fake_telegram.seen_by(CHAT)[0]["text"]

    page.goto("/profile/notifications/")
    assert "@olga_expert" in page.locator("[data-messenger=telegram]").inner_text()
    assert console.errors == []
