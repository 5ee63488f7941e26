"""The bot through the local Telegram Bot API: linking from the profile with a one-time token,
updates handled once (polling and webhook), the expert's decisions and answers through the same
services as the web, voice comments, blocking and unlinking from either side."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.bots.conftest import EXPERT_CHAT
from tests.fakes.fixtures import TG_TOKEN
from zveno.bots import polling, services
from zveno.bots.models import ProcessedUpdate, VoiceNote
from zveno.content import collab
from zveno.content import requests as expert_requests
from zveno.content import services as content
from zveno.content.models import Approval, ExpertRequest, Media, State
from zveno.notifications import delivery
from zveno.notifications import services as notifications
from zveno.notifications.models import MessengerAccount, Notification

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def poll(messenger="telegram") -> int:
    return polling.poll_once(messenger, timeout=0)


def link(world, login, fake, messenger="telegram") -> str:
    page = login(world.users["expert"]).post(reverse("bots:link", args=[messenger]))
    assert page.status_code == 200
    token = re.search(r"\?start=([\w-]+)", page.content.decode()).group(1)
    fake.user_start(EXPERT_CHAT, token)
    poll(messenger)
    return token


def press(fake, prefix: str) -> None:
    """Presses the newest button whose callback starts with ``prefix`` ("a:", "c:", "r:")."""
    for shown in reversed(fake.seen_by(EXPERT_CHAT)):
        for row in shown["buttons"]:
            for button in row:
                if button.get("callback_data", "").startswith(prefix):
                    fake.user_callback(EXPERT_CHAT, shown["message_id"], button["callback_data"])
                    poll()
                    return
    raise AssertionError(f"no {prefix} button in the chat")


def to_expert(world, title="Ипотека 2027", text="Ставка 6 % на вторичку"):
    smm = world.users["smm"]
    planned = dt.datetime(2026, 12, 10, 7, 0, tzinfo=dt.UTC)
    item = content.create_item(
        smm, world.alpha, title=title, format="post", text=text, planned_at=planned
    )
    for to in ("copy", "design", "review"):
        content.transition(smm, item, to)
    content.approve(smm, item)
    item.refresh_from_db()
    assert item.state == State.EXPERT_APPROVAL
    return item


def test_linking_from_the_profile_with_a_one_time_token(world, login, telegram_bot):
    expert = world.users["expert"]
    prefs = login(expert).get(reverse("notifications:preferences")).content.decode()
    assert reverse("bots:link", args=["telegram"]) in prefs
    token = link(world, login, telegram_bot)
    account = MessengerAccount.objects.get(user=expert)
    assert account.chat_id == str(EXPERT_CHAT) and account.username == "anna_expert"
    assert "Expert" in telegram_bot.seen_by(EXPERT_CHAT)[0]["text"]
    # the same token again, from another person: refused, nothing moves
    telegram_bot.add_user(6006, "Чужой")
    telegram_bot.user_start(6006, token)
    poll()
    assert not MessengerAccount.objects.filter(chat_id="6006").exists()
    assert telegram_bot.seen_by(6006)  # told why
    page = login(expert).get(reverse("bots:link", args=["telegram"])).content.decode()
    assert 'data-linked="telegram"' in page


def test_an_expired_token_is_refused(world, login, telegram_bot, clock):
    page = login(world.users["expert"]).post(reverse("bots:link", args=["telegram"]))
    token = re.search(r"\?start=([\w-]+)", page.content.decode()).group(1)
    clock.shift(dt.timedelta(minutes=31))
    telegram_bot.user_start(EXPERT_CHAT, token)
    poll()
    assert not MessengerAccount.objects.exists()


def test_an_update_delivered_twice_is_handled_once(world, login, telegram_bot):
    link(world, login, telegram_bot)
    item = to_expert(world)
    telegram_bot.user_text(EXPERT_CHAT, "/waiting")
    poll()
    shown = telegram_bot.seen_by(EXPERT_CHAT)[-1]
    data = shown["buttons"][0][0]["callback_data"]
    assert data.startswith("a:")
    telegram_bot.user_callback(EXPERT_CHAT, shown["message_id"], data)
    raw = telegram_bot.pending_updates()[-1]
    platform = services.platforms.platform("telegram")
    assert services.handle(platform, raw) == "approved"
    assert services.handle(platform, raw) == "duplicate"
    assert poll() == 1  # the same update by polling too: handled already
    assert Approval.objects.filter(item=item, user=world.users["expert"]).count() == 1


def test_webhook_mode_checks_the_secret_header(world, client, telegram_bot):
    url = reverse("bots:webhook", args=["telegram"])
    chat = {"id": EXPERT_CHAT, "type": "private"}
    message = {"message_id": 1, "date": 0, "text": "/start", "chat": chat, "from": chat}
    update = {"update_id": 1, "message": message}
    body = json.dumps(update)
    refused = client.post(url, body, content_type="application/json",
                          headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})  # fmt: skip
    assert refused.status_code == 403 and not ProcessedUpdate.objects.exists()
    secret = services.webhook_secret("telegram")

    def deliver(target, headers, raw):  # the fake POSTs its updates into Django
        answer = client.post(target, raw, content_type="application/json", headers=headers)
        return answer.status_code, answer.content

    telegram_bot.deliver = deliver
    telegram_bot.bots[TG_TOKEN].webhook = {"url": url, "secret_token": secret}
    telegram_bot.user_start(EXPERT_CHAT)
    assert ProcessedUpdate.objects.count() == 1
    assert telegram_bot.seen_by(EXPERT_CHAT)  # the bot answered how to link
    assert telegram_bot.bots[TG_TOKEN].delivered[-1]["status"] == 200


def test_an_approval_request_shows_the_item_and_decides_through_the_approval_service(
    world, login, telegram_bot
):
    expert = world.users["expert"]
    expert.timezone = "Asia/Vladivostok"
    expert.save()
    link(world, login, telegram_bot)
    item = to_expert(world)
    picture = SimpleUploadedFile("kitchen.png", PNG, "image/png")
    collab.attach_media(world.users["smm"], item, picture)
    # what the workflow's hand-over sends: approval_requested with the item
    notifications.notify(
        [expert], project=world.alpha, verb="approval_requested", key=f"item:{item.pk}:x",
        text="Согласуйте", data={"item": item.pk},
    )  # fmt: skip
    delivery.send_due()
    photo, card = telegram_bot.seen_by(EXPERT_CHAT)[-2:]
    assert "photo" in photo["message"] and photo["text"] == "Ипотека 2027"  # as it will look
    assert telegram_bot.uploads[-1]["size"] == len(PNG)
    assert "Ипотека 2027" in card["text"] and "Ставка 6 %" in card["text"]
    assert "17:00" in card["text"]  # planned 07:00 UTC: 17:00 in the expert's Vladivostok
    press(telegram_bot, "a:")
    item.refresh_from_db()
    assert item.state == State.APPROVED
    approval = Approval.objects.get(item=item, user=expert)
    assert approval.decision == "approved"
    assert item.activities.filter(verb="approved", actor=expert).exists()
    assert telegram_bot.callback_answers[-1]["user"] == EXPERT_CHAT
    decided = next(
        m for m in telegram_bot.seen_by(EXPERT_CHAT) if m["message_id"] == card["message_id"]
    )
    assert decided["buttons"] in ([], [[]])  # the decided card lost its buttons


def test_request_changes_takes_the_next_voice_message_as_the_comment(world, login, telegram_bot):
    expert = world.users["expert"]
    link(world, login, telegram_bot)
    item = to_expert(world)
    telegram_bot.user_text(EXPERT_CHAT, "/waiting")
    poll()
    press(telegram_bot, "c:")
    assert ProcessedUpdate.objects.count() == 3
    telegram_bot.user_voice(EXPERT_CHAT, duration=7)
    poll()
    item.refresh_from_db()
    assert item.state == State.CHANGES_REQUESTED
    approval = Approval.objects.get(item=item, user=expert, decision="changes_requested")
    note = VoiceNote.objects.get(item=item)
    assert reverse("bots:voice", args=["alpha", note.pk]) in approval.comment
    smm = login(world.users["smm"]).get(reverse("bots:voice", args=["alpha", note.pk]))
    assert smm.status_code == 200 and b"".join(smm.streaming_content).startswith(b"OggS")
    outsider = login(world.users["outsider"]).get(reverse("bots:voice", args=["alpha", note.pk]))
    assert outsider.status_code == 404


def test_an_expert_request_is_answered_with_a_photo_into_the_items_media(
    world, login, telegram_bot
):
    expert, smm = world.users["expert"], world.users["smm"]
    link(world, login, telegram_bot)
    item = content.create_item(smm, world.alpha, title="Кейс клиента", format="post")
    asked = expert_requests.ask(
        smm, world.alpha, question="Фото с последней сделки?", kind="photo",
        due_date=dt.date(2026, 12, 8), item_ids=[item.pk],
    )  # fmt: skip
    delivery.send_due()  # expert_request_asked reaches the chat
    assert "Фото с последней сделки?" in telegram_bot.seen_by(EXPERT_CHAT)[-1]["text"]
    press(telegram_bot, "r:")
    telegram_bot.user_photo(EXPERT_CHAT, content=PNG, caption="Вот ключи от квартиры")
    poll()
    asked.refresh_from_db()
    assert asked.status == "answered"
    answer = asked.answers.get()
    assert answer.text == "Вот ключи от квартиры" and answer.answered_by == expert
    assert answer.files.count() == 1
    assert Media.objects.filter(item=item, kind="image").count() == 1
    assert Notification.objects.filter(user=smm, verb="expert_request_answered").exists()


def test_blocking_the_bot_falls_back_to_email(world, login, telegram_bot):
    expert = world.users["expert"]
    link(world, login, telegram_bot)
    telegram_bot.user_blocks(EXPERT_CHAT)
    smm = world.users["smm"]
    expert_requests.ask(smm, world.alpha, question="Мнение о ставках?", kind="opinion",
                        due_date=dt.date(2026, 12, 9))  # fmt: skip
    delivery.send_due()
    delivery.send_due()
    assert MessengerAccount.objects.get(user=expert).blocked_at is not None
    assert any("Мнение о ставках?" in m.body for m in mail.outbox if m.to == [expert.email])
    assert Notification.objects.filter(user=smm, verb="messenger_unreachable").exists()


def test_unlinking_from_the_chat_and_from_the_profile(
    world, login, telegram_bot, django_capture_on_commit_callbacks
):
    expert = world.users["expert"]
    link(world, login, telegram_bot)
    telegram_bot.user_text(EXPERT_CHAT, "/stop")
    poll()
    assert not MessengerAccount.objects.filter(user=expert).exists()
    link(world, login, telegram_bot)
    said = len(telegram_bot.seen_by(EXPERT_CHAT))
    client = login(expert)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:unlink", args=["telegram"]))
    assert not MessengerAccount.objects.filter(user=expert).exists()
    assert len(telegram_bot.seen_by(EXPERT_CHAT)) == said + 1  # the goodbye in the chat
    telegram_bot.user_text(EXPERT_CHAT, "Привет")
    poll()
    assert not MessengerAccount.objects.exists()


@pytest.mark.parametrize("verb", ["expert_request_due_soon", "expert_request_overdue"])
def test_reminders_before_due_and_when_overdue(world, login, telegram_bot, clock, verb):
    from zveno.content import expert_notices

    link(world, login, telegram_bot)
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC))  # Friday, 12:30 in Moscow
    due = dt.date(2026, 12, 5) if verb.endswith("soon") else dt.date(2026, 12, 1)
    found = expert_requests.ask(world.users["smm"], world.alpha, question="Видео о районе?",
                                kind="video", due_date=due)  # fmt: skip
    assert expert_notices.remind() == 1
    assert expert_notices.remind() == 1  # the same day: no second notification
    assert Notification.objects.filter(user=world.users["expert"], verb=verb).count() == 1
    delivery.send_due()
    assert "Видео о районе?" in telegram_bot.seen_by(EXPERT_CHAT)[-1]["text"]
    assert ExpertRequest.objects.get(pk=found.pk).status == "open"


def _press_data(fake, data: str) -> None:
    for shown in reversed(fake.seen_by(EXPERT_CHAT)):
        for row in shown["buttons"]:
            if any(b.get("callback_data") == data for b in row):
                fake.user_callback(EXPERT_CHAT, shown["message_id"], data)
                poll()
                return
    raise AssertionError(f"no button {data} in the chat")


def _h4_requests(project) -> list:
    from zveno.team import health

    return [f for f in health.evaluate(project)
            if f.code == "H4" and "unanswered_requests" in f.evidence]  # fmt: skip


def test_case_one_turned_around_an_expert_who_lives_in_the_messenger(
    world, login, telegram_bot, clock
):
    """The seed's case 1: an expert who never opens the app. Linked once, then for a week only
    the messenger: two requests answered (one by voice), three items approved, changes asked on
    a fourth. The involvement index rises and H4 clears, with no web login by the expert."""
    smm, expert = world.users["smm"], world.users["expert"]
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC))
    items = [to_expert(world, title=f"Пост {n}", text=f"Текст {n}") for n in range(1, 5)]
    late = expert_requests.ask(
        smm, world.alpha, question="История сделки на вторичке?", kind="story",
        due_date=dt.date(2026, 12, 3), item_ids=[items[0].pk],
    )  # fmt: skip
    fresh = expert_requests.ask(smm, world.alpha, question="Мнение о ставках на 2027?",
                                kind="opinion", due_date=dt.date(2026, 12, 9),
                                item_ids=[items[1].pk])  # fmt: skip
    before = expert_requests.involvement(world.alpha)
    assert before.overdue == 1 and before.answered_on_time == 0
    assert _h4_requests(world.alpha)

    link(world, login, telegram_bot)
    linked_login = type(expert).objects.get(pk=expert.pk).last_login
    # Monday: what waits, in the chat; the overdue story by voice
    clock.move_to(dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC))
    telegram_bot.user_text(EXPERT_CHAT, "/waiting")
    poll()
    _press_data(telegram_bot, f"r:{late.pk}")
    telegram_bot.user_voice(EXPERT_CHAT, duration=95)
    poll()
    # Tuesday: the opinion in writing, and three approvals from the cards
    clock.move_to(dt.datetime(2026, 12, 8, 16, 0, tzinfo=dt.UTC))
    telegram_bot.user_text(EXPERT_CHAT, "/waiting")
    poll()
    _press_data(telegram_bot, f"r:{fresh.pk}")
    telegram_bot.user_text(EXPERT_CHAT, "Ставки снизятся к лету, покупать сейчас — выгодно.")
    poll()
    for item in items[:3]:
        _press_data(telegram_bot, f"a:{item.pk}:{item.approval_round}")
    # Wednesday: changes on the fourth, by the next text message
    clock.move_to(dt.datetime(2026, 12, 9, 8, 0, tzinfo=dt.UTC))
    telegram_bot.user_text(EXPERT_CHAT, "/waiting")
    poll()
    fourth = items[3]
    _press_data(telegram_bot, f"c:{fourth.pk}:{fourth.approval_round}")
    telegram_bot.user_text(EXPERT_CHAT, "Уберите проценты из заголовка")
    poll()

    for found in (late, fresh):
        found.refresh_from_db()
        assert found.status == "answered" and found.answers.get().answered_by == expert
    assert late.answers.get().files.count() == 1  # the voice message, stored on the request
    for item in items[:3]:
        item.refresh_from_db()
        assert item.state == State.APPROVED
    fourth.refresh_from_db()
    assert fourth.state == State.CHANGES_REQUESTED
    assert Approval.objects.get(item=fourth, decision="changes_requested").comment == (
        "Уберите проценты из заголовка"
    )
    # the SMM publishes the approved posts by Friday
    clock.move_to(dt.datetime(2026, 12, 11, 9, 0, tzinfo=dt.UTC))
    for item in items[:3]:
        content.update_item(smm, item, planned_at=dt.datetime(2026, 12, 10, 7, 0, tzinfo=dt.UTC))
        content.transition(smm, item, "scheduled")
        content.transition(smm, item, "published")
    after = expert_requests.involvement(world.alpha)
    assert after.overdue == 0 and after.answered_on_time == 1 > before.answered_on_time
    assert after.with_input == 2 and after.published == 3
    assert not _h4_requests(world.alpha)
    assert type(expert).objects.get(pk=expert.pk).last_login == linked_login  # no web login


def test_a_429_from_the_messenger_waits_as_long_as_it_asks(world, login, telegram_bot, clock):
    link(world, login, telegram_bot)
    telegram_bot.fail_next(429, method="sendMessage", retry_after=300)
    notifications.notify([world.users["expert"]], project=world.alpha, verb="mentioned",
                         key="comment:1", text="Вас упомянули")  # fmt: skip
    assert delivery.send_due() == {"failed": 1}
    row = Notification.objects.get(verb="mentioned").deliveries.get()
    assert row.not_before - row.claimed_at >= dt.timedelta(seconds=300)
    clock.shift(dt.timedelta(seconds=301))
    assert delivery.send_due() == {"sent": 1}
    assert telegram_bot.seen_by(EXPERT_CHAT)[-1]["text"].startswith("Вас упомянули")


def test_an_invited_expert_links_the_messenger_right_after_joining(world, client, telegram_bot):
    from zveno.accounts import services as account_services

    invitation = account_services.invite(
        world.users["owner"], project=world.alpha, name="Ирина Экспертова",
        job_roles=["expert"],
    )  # fmt: skip
    path = account_services.invitation_link(invitation).split("://", 1)[-1]
    path = path[path.index("/") :]
    joined = client.post(path, {
        "name": "Ирина Экспертова", "username": "irina", "email": "irina@example.test",
        "password1": "a-long-enough-password-42", "password2": "a-long-enough-password-42",
    })  # fmt: skip
    assert joined.status_code == 302
    landing = joined["Location"]
    assert landing.startswith(reverse("bots:link", args=["telegram"]))
    assert "next=%2Fp%2Falpha%2F" in landing
    page = client.post(landing).content.decode()
    assert 'id="link-later" href="/p/alpha/"' in page
    telegram_bot.add_user(7007, "Ирина")
    telegram_bot.user_start(7007, re.search(r"\?start=([\w-]+)", page).group(1))
    poll()
    assert MessengerAccount.objects.get(chat_id="7007").user.username == "irina"


def test_a_file_that_cannot_be_fetched_is_asked_again(world, login, telegram_bot):
    link(world, login, telegram_bot)
    asked = expert_requests.ask(world.users["smm"], world.alpha, question="Видео с объекта?",
                                kind="video", due_date=dt.date(2026, 12, 8))  # fmt: skip
    delivery.send_due()
    press(telegram_bot, "r:")
    telegram_bot.fail_next(502, method="getFile")
    telegram_bot.user_photo(EXPERT_CHAT, content=PNG)
    poll()
    asked.refresh_from_db()
    assert asked.status == "open"  # nothing half-stored; the expert is asked to resend
    telegram_bot.user_photo(EXPERT_CHAT, content=PNG)
    poll()
    asked.refresh_from_db()
    assert asked.status == "answered" and asked.answers.get().files.count() == 1
