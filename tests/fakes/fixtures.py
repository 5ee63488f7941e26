"""Pytest fixtures of the network fakes, registered from the root conftest (`pytest_plugins`)."""

from __future__ import annotations

import pytest

from tests.fakes.vk import FakeVk

VK_GROUP = 123
VK_TOKEN = "vk-user-token"


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
