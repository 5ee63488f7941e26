"""Notifications by preference: the catalogue, role defaults, channels, quiet hours, retries, the
blocked bot, the digest and the settings page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from zveno.notifications import delivery, messengers, selectors, services
from zveno.notifications.events import UnknownEvent
from zveno.notifications.models import Delivery, MessengerAccount, Notification, Preference

UTC = dt.UTC


class Chat:
    """A messenger as the notifications app sees it: what reached each chat, a chat that blocked
    the bot, and a network that fails a number of times first."""

    def __init__(self):
        self.received: list[tuple[str, messengers.Message]] = []
        self.blocked: set[str] = set()
        self.failures = 0

    def __call__(self, account, message):
        if account.chat_id in self.blocked:
            raise messengers.Blocked(account.chat_id)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("network down")
        self.received.append((account.chat_id, message))


@pytest.fixture
def chat():
    with messengers.using("telegram", Chat()) as sender:
        yield sender


def _ask(world, verb="approval_requested", key="item:1", users=("expert",)):
    return services.notify(
        [world.users[u] for u in users], project=world.alpha, verb=verb, key=key,
        text="Согласуйте пост «Ипотека 2027»", url="/p/alpha/content/1/", data={"item": 1},
    )  # fmt: skip


def test_unknown_verbs_are_refused(world):
    with pytest.raises(UnknownEvent, match=r"events\.py"):
        services.notify([world.users["smm"]], project=world.alpha, verb="nonsense", key="x",
                        text="?")  # fmt: skip
    assert not Notification.objects.exists()


def test_role_defaults_without_a_messenger_fall_back_to_email(world, clock):
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))  # 12:30 in Moscow
    assert selectors.audience(world.users["expert"], world.alpha) == "expert"
    assert selectors.audience(world.users["smm"], world.alpha) == "manager"
    assert selectors.audience(world.users["copywriter"], world.alpha) == "maker"
    (note,) = _ask(world)
    assert note.in_app
    # the expert's default is the inbox and the messengers; none linked, so the e-mail
    assert [d.channel for d in note.deliveries.all()] == ["email"]
    assert delivery.send_due() == {"sent": 1}
    assert mail.outbox[-1].to == ["expert@example.test"]
    assert "/p/alpha/content/1/" in mail.outbox[-1].body
    assert delivery.send_due() == {}  # sent once


def test_a_linked_messenger_gets_the_message_with_its_subject(world, chat, clock):
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    services.link_messenger(world.users["expert"], "telegram", "777", "anna")
    (note,) = _ask(world)
    assert [d.channel for d in note.deliveries.all()] == ["telegram"]
    delivery.send_due()
    ((chat_id, message),) = chat.received
    assert chat_id == "777" and message.verb == "approval_requested"
    assert message.data == {"item": 1} and message.url.endswith("/p/alpha/content/1/")
    assert not mail.outbox


def test_a_person_turns_an_event_off_or_moves_it(world, chat):
    expert = world.users["expert"]
    services.save_preferences(expert, {"approval_requested": [], "mentioned": ["email"]})
    (note,) = _ask(world)
    assert not note.in_app and not note.deliveries.exists()
    (mention,) = _ask(world, verb="mentioned", key="comment:1")
    assert not mention.in_app and [d.channel for d in mention.deliveries.all()] == ["email"]
    with pytest.raises(Exception, match="fax"):
        services.save_preferences(expert, {"mentioned": ["fax"]})
    services.reset_preferences(expert)
    assert not Preference.objects.filter(user=expert).exists()


def test_quiet_hours_hold_messages_in_the_persons_own_time_zone(world, chat, clock):
    expert = world.users["expert"]
    expert.timezone = "Asia/Vladivostok"  # UTC+10
    expert.save()
    services.link_messenger(expert, "telegram", "777")
    clock.move_to(dt.datetime(2026, 12, 4, 13, 0, tzinfo=UTC))  # 23:00 in Vladivostok
    (note,) = _ask(world)
    (held,) = note.deliveries.all()
    assert held.not_before == dt.datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # 09:00 there
    assert delivery.send_due() == {} and not chat.received
    assert note.in_app  # the inbox is never held
    clock.move_to(dt.datetime(2026, 12, 4, 23, 1, tzinfo=UTC))
    assert delivery.send_due() == {"sent": 1} and len(chat.received) == 1


def test_failures_are_retried_with_back_off_then_given_up(world, chat, clock):
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    services.link_messenger(world.users["expert"], "telegram", "777")
    chat.failures = 2
    (note,) = _ask(world)
    assert delivery.send_due() == {"failed": 1}
    row = note.deliveries.get()
    assert row.status == "failed" and row.error == "network down" and row.attempts == 1
    assert delivery.send_due() == {}  # waits a minute
    clock.shift(dt.timedelta(minutes=1, seconds=5))
    assert delivery.send_due() == {"failed": 1}
    clock.shift(dt.timedelta(minutes=2, seconds=5))
    assert delivery.send_due() == {"sent": 1}
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 3
    chat.failures = 10
    (again,) = _ask(world, key="item:2")
    for _ in range(6):
        delivery.send_due()
        clock.shift(dt.timedelta(minutes=20))
    last = again.deliveries.get()
    assert last.status == "gave_up" and last.attempts == delivery.MAX_ATTEMPTS


def test_a_blocked_bot_marks_the_person_falls_back_to_email_and_tells_the_smm(world, chat, clock):
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    expert = world.users["expert"]
    services.link_messenger(expert, "telegram", "777")
    chat.blocked.add("777")
    _ask(world)
    delivery.send_due()
    delivery.send_due()  # the e-mail that replaced it
    account = MessengerAccount.objects.get(user=expert)
    assert account.blocked_at is not None
    assert [m.to for m in mail.outbox if "Ипотека" in m.body] == [["expert@example.test"]]
    told = Notification.objects.get(user=world.users["smm"], verb="messenger_unreachable")
    assert "Expert" in told.text
    # the next message goes by e-mail straight away
    (later,) = _ask(world, key="item:2")
    assert [d.channel for d in later.deliveries.all()] == ["email"]
    # linking again clears the mark
    services.link_messenger(expert, "telegram", "777")
    assert MessengerAccount.objects.get(user=expert).blocked_at is None


def test_the_digest_folds_what_waited_into_one_message(world, chat, clock):
    expert = world.users["expert"]
    expert.timezone = "Europe/Moscow"
    expert.save()
    services.link_messenger(expert, "telegram", "777")
    services.save_settings(expert, quiet_from=None, quiet_to=None, digest=True,
                           digest_at=dt.time(9, 0))  # fmt: skip
    clock.move_to(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))  # 12:30 in Moscow
    _ask(world, verb="mentioned", key="comment:1")
    _ask(world, verb="goal_reached", key="goal:1")  # in-app only for an expert: no delivery
    _ask(world, verb="approval_requested", key="item:9")  # urgent: never waits
    delivery.send_due()
    assert [m.verb for _c, m in chat.received] == ["approval_requested"]
    assert Delivery.objects.filter(status="digest").count() == 1
    clock.move_to(dt.datetime(2026, 12, 5, 5, 59, tzinfo=UTC))  # 08:59 in Moscow
    assert delivery.compose_digests() == []
    clock.move_to(dt.datetime(2026, 12, 5, 6, 1, tzinfo=UTC))
    assert len(delivery.compose_digests()) == 1
    assert delivery.compose_digests() == []  # once a day
    delivery.send_due()
    _chat, message = chat.received[-1]
    assert message.verb == "digest" and "Ипотека" in message.text


def test_the_settings_page_saves_choices_quiet_hours_and_unlinks(world, login):
    expert = world.users["expert"]
    client = login(expert)
    url = reverse("notifications:preferences")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="approval_requested:telegram" value="1"' in html
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("notifications:preferences") in profile
    form = {f"{v}:{c}": "1" for v, chans in
            {r["verb"]: r["channels"] for r in selectors.preference_table(expert)}.items()
            for c in chans}  # fmt: skip
    form.pop("approval_requested:in_app")
    form.update({"quiet_from": "21:00", "quiet_to": "08:00", "digest_at": "10:00"})
    response = client.post(url, form)
    assert response.status_code == 302
    assert list(Preference.objects.filter(user=expert).values_list("verb", flat=True)) == [
        "approval_requested"
    ]
    prefs = selectors.settings_for(expert)
    assert prefs.quiet_from == dt.time(21, 0) and prefs.digest_at == dt.time(10, 0)
    bad = client.post(url, {**form, "quiet_to": ""})
    assert bad.status_code == 200 and "has-error field-quiet_to" in bad.content.decode()
    services.link_messenger(expert, "telegram", "777", "anna")
    assert "@anna" in client.get(url).content.decode()
    client.post(reverse("notifications:unlink", args=["telegram"]))
    assert not MessengerAccount.objects.filter(user=expert).exists()
    assert client.post(reverse("notifications:unlink", args=["fax"])).status_code == 404
