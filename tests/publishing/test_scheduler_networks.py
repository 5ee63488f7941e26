"""The scheduler on Telegram and MAX (the local fakes): each fault ends in the right state with the
right person told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from tests.fakes.fixtures import MAX_CHANNEL, MAX_TOKEN, TG_CHANNEL, TG_CHANNEL_NAME, TG_TOKEN
from tests.publishing.conftest import approved, dispatch_of
from zveno.core.celery import app
from zveno.notifications.models import Notification
from zveno.publishing import delivery, services
from zveno.publishing.models import Connection, DispatchState, HoldReason

S = DispatchState
COMMIT = {}


@pytest.fixture(autouse=True)
def eager(django_capture_on_commit_callbacks):
    app.conf.task_always_eager = True
    COMMIT["capture"] = django_capture_on_commit_callbacks
    yield
    app.conf.task_always_eager = False


def run():
    with COMMIT["capture"](execute=True):
        return delivery.run_pass("test-worker")


@pytest.fixture
def tg(world, fake_telegram, settings):
    settings.ZVENO_TELEGRAM_API_URL = fake_telegram.url
    channel = services.add_channel(world.users["smm"], world.alpha, "telegram", "Альфа ТГ",
                                   f"@{TG_CHANNEL_NAME}")  # fmt: skip
    return services.connect_channel(world.users["smm"], channel, {"bot_token": TG_TOKEN})


@pytest.fixture
def mx(world, fake_max, settings):
    settings.ZVENO_MAX_API_URL = fake_max.url
    channel = services.add_channel(world.users["smm"], world.alpha, "max", "Альфа MAX",
                                   str(MAX_CHANNEL))  # fmt: skip
    return services.connect_channel(world.users["smm"], channel, {"bot_token": MAX_TOKEN})


def texts(fake_telegram) -> list[str]:
    return [m.get("text") for m in fake_telegram.messages(TG_CHANNEL)]


def test_telegram_post_goes_out_with_its_link(world, tg, fake_telegram):
    item = approved(world, [tg], text="Новости канала")
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED and dispatch.url.startswith("https://t.me/alpha_channel/")
    assert texts(fake_telegram) == ["Новости канала"]


def test_telegram_without_an_answer_waits_for_a_person_who_is_told(world, api, tg,
                                                                   fake_telegram):  # fmt: skip
    item = approved(world, [tg], text="Ответ не пришёл")
    fake_telegram.drop_after_accept()
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.NEEDS_CHECK
    assert texts(fake_telegram) == ["Ответ не пришёл"]  # it did go out
    note = Notification.objects.get(verb="publication_needs_check")
    assert note.user.username == "smm" and item.title in note.text
    run()
    assert texts(fake_telegram) == ["Ответ не пришёл"]  # never re-sent blindly
    publication = item.publications.get()
    base = f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}"
    answer = api(world, "smm").post(
        f"{base}/confirm", {"went_out": True, "url": "https://t.me/alpha_channel/1"}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "published"
    assert answer.json()["attempts"][-1]["kind"] == "confirm"


def test_telegram_429_waits_exactly_retry_after(world, tg, fake_telegram):
    item = approved(world, [tg])
    fake_telegram.fail_next(429, method="sendMessage", retry_after=17)
    before = timezone.now()
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.SCHEDULED
    assert 17 <= (dispatch.next_try_at - before).total_seconds() < 19
    assert texts(fake_telegram) == []


def test_a_bot_removed_from_the_channel_holds_it_and_tells_smm_and_lead(world, tg, fake_telegram):
    items = [approved(world, [tg], text=f"Пост {n}", title=f"Пост {n}") for n in range(2)]
    fake_telegram.remove_bot(TG_CHANNEL, TG_TOKEN)
    run()
    tg.refresh_from_db()
    assert tg.connection == Connection.NEEDS_RECONNECT
    assert {dispatch_of(i).state for i in items} == {S.HELD}
    assert {dispatch_of(i).hold_reason for i in items} == {HoldReason.RECONNECT}
    told = {n.user.username for n in Notification.objects.filter(verb="channel_reconnect")}
    assert told == {"smm", "owner"}
    assert {m.to[0] for m in mail.outbox} >= {"smm@example.test", "owner@example.test"}


def test_too_long_for_telegram_fails_before_sending_and_says_why(world, tg, fake_telegram):
    item = approved(world, [tg], text="я" * 5000)
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.FAILED and "4096" in dispatch.reason
    assert not dispatch.attempts.exists() and texts(fake_telegram) == []
    assert Notification.objects.filter(verb="publication_failed").exists()


def test_max_post_goes_out_and_a_lost_answer_is_found_by_reading_back(world, mx, fake_max,
                                                                      clock):  # fmt: skip
    first = approved(world, [mx], text="Первый в MAX")
    run()
    assert dispatch_of(first).state == S.PUBLISHED
    second = approved(world, [mx], text="Второй в MAX", title="Второй")
    fake_max.drop_after_accept()
    run()
    assert dispatch_of(second).state == S.SCHEDULED
    clock.shift(dt.timedelta(seconds=31))
    run()
    dispatch = dispatch_of(second)
    assert dispatch.state == S.PUBLISHED and dispatch.external_id
    assert [p["body"]["text"] for p in fake_max.posts(MAX_CHANNEL)].count("Второй в MAX") == 1
    assert [a.kind for a in dispatch.attempts.all()] == ["publish", "reconcile"]


def test_max_revoked_token_holds_the_channel(world, mx, fake_max):
    item = approved(world, [mx])
    fake_max.revoke(MAX_TOKEN)
    run()
    assert dispatch_of(item).state == S.HELD
    mx.refresh_from_db()
    assert mx.connection == Connection.NEEDS_RECONNECT
