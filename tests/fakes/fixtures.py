"""Pytest fixtures of the network fakes, registered from the root conftest (`pytest_plugins`)."""

from __future__ import annotations

import pytest

from tests.fakes.max import FakeMax
from tests.fakes.telegram import ADMIN_RIGHTS, FakeTelegram
from tests.fakes.vk import FakeVk

VK_GROUP = 123
VK_TOKEN = "vk-user-token"
TG_TOKEN = "123456789:AAHfake-bot-token-for-tests"
TG_CHANNEL = -1001234567890
TG_CHANNEL_NAME = "alpha_channel"
MAX_TOKEN = "max-bot-token-for-tests"
MAX_CHANNEL = -70000000001
MAX_RIGHTS = ("write", "edit", "delete", "view_stats")


@pytest.fixture
def fake_vk():
    """A running VK API with community 123 and a token of its administrator (`VK_TOKEN`);
    `fake_vk.target()` is the connector's Target for it."""
    fake = FakeVk()
    fake.add_group(VK_GROUP, "Альфа ВК", members=1000)
    fake.add_token(VK_TOKEN, manages={VK_GROUP: 3})
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_telegram():
    """A running Bot API with the bot `TG_TOKEN` (@zveno_bot) administering the public channel
    @alpha_channel (`TG_CHANNEL`, 500 members) with the rights to post, edit and delete."""
    fake = FakeTelegram()
    fake.add_bot(TG_TOKEN, "zveno_bot", "Звено")
    fake.add_channel(TG_CHANNEL, "Альфа ТГ", TG_CHANNEL_NAME, members=500,
                     admins={TG_TOKEN: ADMIN_RIGHTS})  # fmt: skip
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def telegram_target(fake_telegram):
    """The connector's Target for @alpha_channel on the fake."""
    return fake_telegram.target(f"@{TG_CHANNEL_NAME}", TG_TOKEN)


@pytest.fixture
def fake_max():
    """A running MAX Bot API with the bot `MAX_TOKEN` administering the public channel
    `MAX_CHANNEL` (max.ru/alpha_max, 700 participants) with write, edit, delete and view_stats."""
    fake = FakeMax()
    fake.add_bot(MAX_TOKEN, "Звено", "zveno_bot")
    fake.add_channel(MAX_CHANNEL, "Альфа MAX", "alpha_max", participants=700,
                     admins={MAX_TOKEN: MAX_RIGHTS})  # fmt: skip
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def max_target(fake_max):
    """The connector's Target for the channel `MAX_CHANNEL` on the fake."""
    return fake_max.target(MAX_CHANNEL, MAX_TOKEN)
