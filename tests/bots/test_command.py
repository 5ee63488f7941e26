"""`zveno manage bot`: one polling round handles what waits; webhook mode registers the secret."""

from __future__ import annotations

import io

from django.core.management import call_command

from tests.bots.conftest import EXPERT_CHAT
from tests.fakes.fixtures import TG_TOKEN
from zveno.bots import services
from zveno.bots.models import PollState
from zveno.bots.platforms import webhook_mode


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


def test_the_owner_checks_the_bot(world, login, telegram_bot):
    from django.urls import reverse

    from zveno.notifications.services import link_messenger, mark_blocked

    account = link_messenger(world.users["expert"], "telegram", str(EXPERT_CHAT), "anna")
    mark_blocked(account)
    page = login(world.users["owner"]).get(reverse("bots:status", args=["ws-a"]))
    html = page.content.decode()
    assert page.status_code == 200 and "@zveno_bot" in html and "Expert" in html
    url = reverse("bots:status", args=["ws-a"])
    assert login(world.users["smm"]).get(url).status_code == 403
    assert login(world.users["outsider"]).get(url).status_code == 404
