"""`zveno manage bot`: one polling round handles what waits; webhook mode registers the secret."""

from __future__ import annotations

import io

from django.core.management import call_command

from tests.bots.conftest import EXPERT_CHAT
from tests.fakes.fixtures import TG_TOKEN
from zveno.bots import services
from zveno.bots.management.commands.bot import webhook_mode
from zveno.bots.models import PollState


def test_one_polling_round(world, telegram_bot):
    telegram_bot.user_start(EXPERT_CHAT)
    out = io.StringIO()
    call_command("bot", "--once", stdout=out)
    assert "telegram" in out.getvalue()
    assert telegram_bot.seen_by(EXPERT_CHAT)  # told how to link
    assert PollState.objects.get(messenger="telegram").offset


def test_webhook_mode_registers_the_secret(world, telegram_bot, settings):
    settings.BASE_URL = "https://zveno.example.com"
    assert webhook_mode()
    call_command("bot", "--webhook", stdout=io.StringIO())
    hook = telegram_bot.bots[TG_TOKEN].webhook
    assert hook["url"] == "https://zveno.example.com/bots/telegram/webhook/"
    assert hook["secret_token"] == services.webhook_secret("telegram")
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert not webhook_mode()
