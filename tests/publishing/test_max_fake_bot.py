"""The local MAX Bot API as a bot that talks to people sees it: updates by long polling with a
marker or by webhook with its secret, inline keyboards a person sees and presses, files sent."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fakes.fixtures import MAX_TOKEN
from zveno.publishing.clients.max import MaxClient, MaxError

ANNA = 601


@pytest.fixture
def bot(fake_max):
    with MaxClient(MAX_TOKEN, fake_max.url, timeout=5) as client:
        yield client


def test_a_deep_link_start_and_texts_arrive_by_long_polling_with_a_marker(fake_max, bot):
    fake_max.add_user(ANNA, "Анна", "anna")
    fake_max.user_start(ANNA, "link-abc")
    fake_max.user_text(ANNA, "Привет")
    page = bot.get_updates()
    started, said = page["updates"]
    assert (started["update_type"], started["payload"]) == ("bot_started", "link-abc")
    assert started["user"]["username"] == "anna"
    assert said["message"]["body"]["text"] == "Привет"
    assert bot.get_updates(marker=page["marker"])["updates"] == []
    assert fake_max.pending_updates() == []


def test_what_a_person_sees_and_presses(fake_max, bot):
    fake_max.user_start(ANNA)
    keyboard = {"type": "inline_keyboard", "payload": {"buttons": [[
        {"type": "callback", "text": "Да", "payload": "yes:7"},
        {"type": "callback", "text": "Нет", "payload": "no:7"}]]}}  # fmt: skip
    sent = bot.request("POST", "/messages", {"user_id": ANNA},
                       {"text": "Ответите на вопрос?", "attachments": [keyboard]})  # fmt: skip
    (shown,) = fake_max.seen_by(ANNA)
    assert shown["text"] == "Ответите на вопрос?"
    assert [b["text"] for b in shown["buttons"][0]] == ["Да", "Нет"]
    callback_id = fake_max.press(ANNA, "Нет")
    *_, update = bot.get_updates()["updates"]
    assert update["update_type"] == "message_callback"
    callback = update["callback"]
    assert (callback["callback_id"], callback["payload"]) == (callback_id, "no:7")
    assert update["message"]["body"]["mid"] == sent["message"]["body"]["mid"]
    answer = {"notification": "Понятно", "message": {"text": "Спасибо за ответ"}}
    assert bot.request("POST", "/answers", {"callback_id": callback_id}, answer)["success"]
    assert fake_max.callback_answers[0]["notification"] == "Понятно"
    (shown,) = fake_max.seen_by(ANNA)
    assert (shown["text"], shown["buttons"]) == ("Спасибо за ответ", [])


def test_a_bot_cannot_write_to_someone_who_never_started_it(fake_max, bot):
    fake_max.add_user(ANNA)
    with pytest.raises(MaxError) as error:
        bot.request("POST", "/messages", {"user_id": ANNA}, {"text": "Здравствуйте"})
    assert (error.value.status, error.value.code) == (403, "chat.denied")


def test_voice_and_photo_are_attachments_with_a_url(fake_max, bot):
    fake_max.user_voice(ANNA, b"OggS-voice")
    fake_max.user_photo(ANNA, b"\xff\xd8\xff-photo", text="Схема")
    voice, picture = bot.get_updates()["updates"]
    (audio,) = voice["message"]["body"]["attachments"]
    assert audio["type"] == "audio"
    assert httpx.get(audio["payload"]["url"]).content == b"OggS-voice"
    (image,) = picture["message"]["body"]["attachments"]
    assert image["type"] == "image" and picture["message"]["body"]["text"] == "Схема"
    assert httpx.get(image["payload"]["url"]).content == b"\xff\xd8\xff-photo"


def test_a_webhook_gets_each_update_with_the_secret_and_polling_is_refused(fake_max, bot):
    got = []

    def deliver(url, headers, body):
        got.append((url, headers.get("X-Max-Bot-Api-Secret"), json.loads(body)))
        return 200, b""

    fake_max.deliver = deliver
    with pytest.raises(MaxError):
        bot.request("POST", "/subscriptions", body={"url": "http://plain.example/hook"})
    bot.request("POST", "/subscriptions", body={"url": "https://zveno.example/hooks/max",
                                                "secret": "s3cret-1",
                                                "update_types": ["bot_started"]})  # fmt: skip
    fake_max.user_start(ANNA, "p1")
    fake_max.user_text(ANNA, "не подписан на этот тип")
    ((url, secret, update),) = got
    assert (url, secret) == ("https://zveno.example/hooks/max", "s3cret-1")
    assert update["payload"] == "p1"
    with pytest.raises(MaxError) as error:
        bot.get_updates()
    assert error.value.status == 405
    assert bot.get("/subscriptions")["subscriptions"][0]["url"] == "https://zveno.example/hooks/max"


def test_a_refused_webhook_delivery_stays_pending_and_is_retried(fake_max, bot):
    answers = [503, 200]
    fake_max.deliver = lambda url, headers, body: (answers.pop(0), b"")
    bot.request("POST", "/subscriptions", body={"url": "https://zveno.example/hooks/max"})
    fake_max.user_text(ANNA, "Потерялось?")
    assert len(fake_max.pending_updates()) == 1
    assert fake_max.deliver_pending() == 0
