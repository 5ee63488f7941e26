"""The bot against the local Telegram and MAX Bot APIs."""

from __future__ import annotations

import pytest

from tests.fakes.fixtures import MAX_TOKEN, TG_TOKEN

EXPERT_CHAT = 5001


@pytest.fixture
def telegram_bot(settings, fake_telegram):
    settings.ZVENO_TELEGRAM_BOT_TOKEN = TG_TOKEN
    settings.ZVENO_TELEGRAM_API_URL = fake_telegram.url
    fake_telegram.add_user(EXPERT_CHAT, "Анна", "anna_expert")
    return fake_telegram


@pytest.fixture
def max_bot(settings, fake_max):
    settings.ZVENO_MAX_BOT_TOKEN = MAX_TOKEN
    settings.ZVENO_MAX_API_URL = fake_max.url
    fake_max.add_user(EXPERT_CHAT, "Анна", "anna_expert")
    return fake_max
