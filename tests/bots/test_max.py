"""The same bot through the local MAX Bot API: linking by max.ru/<bot>?start=<token>, an
approval from a card's button, an answer with a photo, the webhook's secret header."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.urls import reverse

from tests.bots.conftest import EXPERT_CHAT
from tests.bots.test_bot import PNG, to_expert
from tests.fakes.fixtures import MAX_TOKEN
from zveno.bots import polling, services
from zveno.bots.models import ProcessedUpdate
from zveno.content import requests as expert_requests
from zveno.content.models import Approval, Media, State
from zveno.notifications import delivery
from zveno.notifications.models import MessengerAccount


def poll() -> int:
    return polling.poll_once("max", timeout=0)


def press(fake, prefix: str) -> None:
    for shown in reversed(fake.seen_by(EXPERT_CHAT)):
        for row in shown["buttons"]:
            for button in row:
                if str(button.get("payload", "")).startswith(prefix):
                    fake.user_callback(EXPERT_CHAT, shown["mid"], button["payload"])
                    poll()
                    return
    raise AssertionError(f"no {prefix} button in the chat")


def link(world, login, fake) -> None:
    page = login(world.users["expert"]).post(reverse("bots:link", args=["max"]))
    html = page.content.decode()
    assert "https://max.ru/zveno_bot?start=" in html
    fake.user_start(EXPERT_CHAT, re.search(r"\?start=([\w-]+)", html).group(1))
    poll()


def test_the_expert_links_approves_and_answers_in_max(world, login, max_bot):
    expert, smm = world.users["expert"], world.users["smm"]
    link(world, login, max_bot)
    account = MessengerAccount.objects.get(user=expert, messenger="max")
    assert account.chat_id == str(EXPERT_CHAT)
    item = to_expert(world)
    max_bot.user_text(EXPERT_CHAT, "/waiting")
    poll()
    assert any("Ипотека 2027" in shown["text"] for shown in max_bot.seen_by(EXPERT_CHAT))
    press(max_bot, "a:")
    item.refresh_from_db()
    assert item.state == State.APPROVED
    assert Approval.objects.get(item=item, user=expert).decision == "approved"
    assert max_bot.callback_answers[-1]["user"] == EXPERT_CHAT

    asked = expert_requests.ask(smm, world.alpha, question="Фото объекта?", kind="photo",
                                due_date=dt.date(2026, 12, 8), item_ids=[item.pk])  # fmt: skip
    delivery.send_due()
    press(max_bot, "r:")
    max_bot.user_photo(EXPERT_CHAT, content=PNG, text="Вид из окна")
    poll()
    asked.refresh_from_db()
    answer = asked.answers.get()
    assert answer.text == "Вид из окна" and answer.files.count() == 1
    assert not Media.objects.filter(item=item).exists()  # approved: what was approved stays


def test_the_max_webhook_checks_its_secret(world, client, max_bot):
    url = reverse("bots:webhook", args=["max"])
    update = {"update_type": "bot_started", "timestamp": 1, "chat_id": 1, "payload": None,
              "user": {"user_id": EXPERT_CHAT, "first_name": "Анна"}}  # fmt: skip
    refused = client.post(url, json.dumps(update), content_type="application/json",
                          headers={"X-Max-Bot-Api-Secret": "guess"})  # fmt: skip
    assert refused.status_code == 403 and not ProcessedUpdate.objects.exists()

    def deliver(target, headers, raw):  # the fake POSTs its updates into Django
        answer = client.post(target, raw, content_type="application/json", headers=headers)
        return answer.status_code, answer.content

    max_bot.deliver = deliver
    max_bot.bots[MAX_TOKEN].subscription = {
        "url": url,
        "secret": services.webhook_secret("max"),
        "update_types": None,
    }
    max_bot.user_start(EXPERT_CHAT)
    assert max_bot.bots[MAX_TOKEN].delivered[-1]["status"] == 200
    assert ProcessedUpdate.objects.count() == 1
    assert len(max_bot.seen_by(EXPERT_CHAT)) == 1  # told how to link
    again = max_bot.bots[MAX_TOKEN].delivered[-1]["update"]  # delivered a second time
    headers = {"X-Max-Bot-Api-Secret": services.webhook_secret("max")}
    client.post(url, json.dumps(again), content_type="application/json", headers=headers)
    assert ProcessedUpdate.objects.count() == 1 and len(max_bot.seen_by(EXPERT_CHAT)) == 1
