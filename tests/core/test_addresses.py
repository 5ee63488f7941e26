"""Which base addresses a network can call back: the VK ID button and the bot's webhook agree."""

from __future__ import annotations

import pytest

from zveno.bots.platforms import webhook_mode
from zveno.core.addresses import is_public


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://zveno.example.com", True),
        ("https://zveno.example.com:8443/base/", True),
        ("https://203.0.113.9", False),  # a documentation range, not routed
        ("https://8.8.8.8", True),
        ("http://zveno.example.com", False),
        ("https://localhost:8000", False),
        ("https://127.0.0.1:8000", False),
        ("https://[::1]", False),
        ("https://10.1.2.3", False),
        ("https://192.168.0.10", False),
        ("https://zveno.local", False),
        ("https://office.lan", False),
        ("https://intranet", False),
        ("", False),
    ],
)
def test_only_https_on_a_reachable_host_is_public(url, public):
    assert is_public(url) is public


def test_the_bot_takes_webhooks_only_at_a_public_address(settings):
    settings.ZVENO_BOT_MODE = "auto"
    settings.BASE_URL = "https://192.168.0.10"  # the office network: Telegram cannot reach it
    assert not webhook_mode()
    settings.BASE_URL = "https://zveno.example.com"
    assert webhook_mode()
