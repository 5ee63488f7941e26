"""The local Bot API as a bot that talks to people sees it: updates by long polling (offsets) or
webhook (secret header), inline keyboards a person sees and presses, files a person sends."""

from __future__ import annotations

import json
import threading

import pytest

from tests.fakes.fixtures import TG_TOKEN
from zveno.publishing.clients.telegram import TelegramClient, TelegramError

ANNA = 501


@pytest.fixture
def bot(fake_telegram):
    with TelegramClient(TG_TOKEN, fake_telegram.url, timeout=5) as client:
        yield client


def test_start_with_a_payload_arrives_by_long_polling_and_offsets_confirm(fake_telegram, bot):
    fake_telegram.add_user(ANNA, "Анна", "anna")
    fake_telegram.user_start(ANNA, "link-abc")
    fake_telegram.user_text(ANNA, "Привет")
    first, second = bot.get_updates()
    assert first["message"]["text"] == "/start link-abc"
    assert first["message"]["from"]["username"] == "anna"
    assert second["message"]["text"] == "Привет"
    assert bot.get_updates(offset=second["update_id"] + 1) == []
    assert fake_telegram.pending_updates() == []


def test_long_polling_waits_for_the_next_update(fake_telegram, bot):
    fake_telegram.user_start(ANNA)
    (start,) = bot.get_updates()
    threading.Timer(0.2, fake_telegram.user_text, (ANNA, "Позже")).start()
    (later,) = bot.get_updates(offset=start["update_id"] + 1, timeout=5)
    assert later["message"]["text"] == "Позже"


def test_what_a_person_sees_and_presses(fake_telegram, bot):
    fake_telegram.user_start(ANNA)
    keyboard = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes:7"},
                                     {"text": "Нет", "callback_data": "no:7"}]]}  # fmt: skip
    sent = bot.call("sendMessage", chat_id=ANNA, text="Ответите на вопрос?", reply_markup=keyboard)
    (shown,) = fake_telegram.seen_by(ANNA)
    assert shown["text"] == "Ответите на вопрос?"
    assert shown["buttons"] == keyboard["inline_keyboard"]
    query_id = fake_telegram.press(ANNA, "Да")
    (*_, update) = bot.get_updates()
    callback = update["callback_query"]
    assert (callback["id"], callback["data"]) == (query_id, "yes:7")
    assert callback["message"]["message_id"] == sent["message_id"]
    assert bot.call("answerCallbackQuery", callback_query_id=query_id, text="Спасибо") is True
    assert fake_telegram.callback_answers == [{"user": ANNA, "text": "Спасибо",
                                               "show_alert": False}]  # fmt: skip
    bot.call("editMessageReplyMarkup", chat_id=ANNA, message_id=sent["message_id"],
             reply_markup={})  # fmt: skip
    assert fake_telegram.seen_by(ANNA)[0]["buttons"] == []


def test_a_bot_cannot_write_first_nor_to_someone_who_blocked_it(fake_telegram, bot):
    fake_telegram.add_user(ANNA)
    with pytest.raises(TelegramError) as error:
        bot.call("sendMessage", chat_id=ANNA, text="Здравствуйте")
    assert error.value.code == 403 and "initiate" in error.value.description
    fake_telegram.user_start(ANNA)
    fake_telegram.user_blocks(ANNA)
    with pytest.raises(TelegramError) as error:
        bot.call("sendMessage", chat_id=ANNA, text="Здравствуйте")
    assert "blocked" in error.value.description


def test_a_voice_message_and_a_photo_are_files_the_bot_can_download(fake_telegram, bot):
    fake_telegram.user_voice(ANNA, b"OggS-voice", duration=12)
    fake_telegram.user_photo(ANNA, b"\xff\xd8\xff-photo", caption="Схема")
    voice_update, photo_update = bot.get_updates()
    voice = voice_update["message"]["voice"]
    assert voice["duration"] == 12 and voice["mime_type"] == "audio/ogg"
    path = bot.call("getFile", file_id=voice["file_id"])["file_path"]
    assert bot.download(path) == b"OggS-voice"
    largest = photo_update["message"]["photo"][-1]
    assert photo_update["message"]["caption"] == "Схема"
    assert bot.download(bot.call("getFile", file_id=largest["file_id"])["file_path"]) == (
        b"\xff\xd8\xff-photo"
    )


def test_a_webhook_gets_each_update_with_the_secret_and_polling_is_refused(fake_telegram, bot):
    got = []

    def deliver(url, headers, body):
        got.append((url, headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
        return 200, b""

    fake_telegram.deliver = deliver
    bot.call("setWebhook", url="https://zveno.example/hooks/telegram", secret_token="s3cret-1")
    fake_telegram.user_start(ANNA, "p1")
    ((url, secret, update),) = got
    assert (url, secret) == ("https://zveno.example/hooks/telegram", "s3cret-1")
    assert update["message"]["text"] == "/start p1"
    assert fake_telegram.pending_updates() == []
    with pytest.raises(TelegramError) as error:
        bot.get_updates()
    assert error.value.code == 409
    info = bot.call("getWebhookInfo")
    assert info["url"] == "https://zveno.example/hooks/telegram"
    assert info["pending_update_count"] == 0


def test_a_refused_webhook_delivery_stays_pending_and_is_retried(fake_telegram, bot):
    answers = [500, 200]
    fake_telegram.deliver = lambda url, headers, body: (answers.pop(0), b"")
    bot.call("setWebhook", url="https://zveno.example/hooks/telegram")
    fake_telegram.user_text(ANNA, "Потерялось?")
    assert len(fake_telegram.pending_updates()) == 1
    assert fake_telegram.deliver_pending() == 0


def test_a_webhook_may_answer_with_a_method(fake_telegram, bot):
    reply = {"method": "sendMessage", "chat_id": ANNA, "text": "Ответ из вебхука"}
    fake_telegram.deliver = lambda url, headers, body: (200, json.dumps(reply).encode())
    bot.call("setWebhook", url="https://zveno.example/hooks/telegram")
    fake_telegram.user_start(ANNA)
    assert [s["text"] for s in fake_telegram.seen_by(ANNA)] == ["Ответ из вебхука"]
