"""A scheduler's pass never leaves a publication in limbo: a delivery that breaks on something
unforeseen fails visibly (and a retry reconciles first), and an attempt whose outcome is unknown
and cannot be read back far enough goes to a person instead of being read back forever."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fakes.fixtures import MAX_CHANNEL, MAX_TOKEN, VK_GROUP, VK_TOKEN
from tests.publishing.conftest import approved, dispatch_of
from zveno.core.celery import app
from zveno.notifications.models import Notification
from zveno.publishing import delivery, services
from zveno.publishing.connectors import max as max_connector
from zveno.publishing.connectors import vk as vk_connector
from zveno.publishing.models import Attempt, DispatchState

S = DispatchState
COMMIT = {}
SETTLED = dt.timedelta(seconds=31)  # past the time a request on its way could still land


@pytest.fixture(autouse=True)
def eager(django_capture_on_commit_callbacks):
    app.conf.task_always_eager = True
    COMMIT["capture"] = django_capture_on_commit_callbacks
    yield
    app.conf.task_always_eager = False


def run():
    with COMMIT["capture"](execute=True):
        return delivery.run_pass("test-worker")


def told(world, verb):
    return Notification.objects.filter(user=world.users["smm"], verb=verb)


def kinds(dispatch):
    return [a.kind for a in dispatch.attempts.order_by("started_at", "pk")]


@pytest.fixture
def mx(world, fake_max, settings):
    settings.ZVENO_MAX_API_URL = fake_max.url
    channel = services.add_channel(world.users["smm"], world.alpha, "max", "Альфа MAX",
                                   str(MAX_CHANNEL))  # fmt: skip
    return services.connect_channel(world.users["smm"], channel, {"bot_token": MAX_TOKEN})


# --- a delivery that breaks in a regular pass ---------------------------------------------------


def test_a_first_send_that_breaks_in_a_pass_fails_visibly_and_the_others_go_out(
    world, vk, fake_vk, clock, settings
):
    settings.PUBLISHING_CONCURRENCY = 1  # one request a wave: the first one is the broken one
    first = approved(world, [vk], text="Первый", title="Первый")
    second = approved(world, [vk], text="Второй", title="Второй")
    fake_vk.garble_next("wall.post")  # an answer no connector expects: a bug, not a network fault
    report = run()
    broken, fine = sorted([dispatch_of(first), dispatch_of(second)], key=lambda d: d.state)
    assert (broken.state, fine.state) == (S.FAILED, S.PUBLISHED)
    assert report.failed == 1 and report.published == 1
    assert "TypeError" in broken.reason and VK_TOKEN not in broken.reason
    assert broken.lease_owner == "" and broken.lease_until is None
    assert told(world, "publication_failed").count() == 1
    (attempt,) = broken.attempts.all()
    assert attempt.kind == "publish" and attempt.outcome == ""  # nobody knows: reconciled first

    clock.shift(dt.timedelta(minutes=3))  # its lease long gone: nothing takes it up by itself
    assert run().claimed == 0
    broken.refresh_from_db()
    assert broken.state == S.FAILED and fake_vk.accepted[VK_GROUP] == 1

    publication = first if dispatch_of(first).pk == broken.pk else second
    with COMMIT["capture"](execute=True):
        services.retry(world.users["smm"], broken)  # a person's retry works as usual
    broken.refresh_from_db()
    assert broken.state == S.PUBLISHED, broken.reason
    assert kinds(broken) == ["publish", "reconcile", "publish"]
    assert fake_vk.accepted[VK_GROUP] == 2 and fake_vk.method_calls("wall.post") == 3
    assert publication.publications.get().status == "published"


def test_a_read_back_that_breaks_in_a_pass_fails_visibly_and_a_retry_reconciles_first(
    world, vk, fake_vk, clock
):
    fake_vk.honour_guid = False  # VK's own guid dedup off: only reconciliation prevents a twin
    item = approved(world, [vk], text="Ответ потерялся")
    fake_vk.drop_after_accept()
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.SCHEDULED and fake_vk.accepted[VK_GROUP] == 1
    clock.shift(SETTLED)
    fake_vk.garble_next("wall.get")  # the read-back meets an answer of an unknown shape
    run()
    dispatch.refresh_from_db()
    assert dispatch.state == S.FAILED and "AttributeError" in dispatch.reason
    assert told(world, "publication_failed").count() == 1
    clock.shift(dt.timedelta(minutes=5))
    assert run().claimed == 0  # not taken again and again at each lease's end

    with COMMIT["capture"](execute=True):
        services.retry(world.users["smm"], dispatch)
    dispatch.refresh_from_db()
    assert dispatch.state == S.PUBLISHED and dispatch.external_id  # found on the wall
    assert fake_vk.accepted[VK_GROUP] == 1 and fake_vk.method_calls("wall.post") == 1
    assert kinds(dispatch) == ["publish", "reconcile", "reconcile"]


# --- an unknown outcome the read-back cannot settle ---------------------------------------------


def test_a_post_truly_absent_after_an_unknown_outcome_is_sent_again_once_and_logged_so(
    world, vk, fake_vk, clock
):
    fake_vk.honour_guid = False
    item = approved(world, [vk], text="Пропавший пост")
    fake_vk.drop_after_accept()
    run()
    (lost,) = fake_vk.posts(VK_GROUP)
    fake_vk.remove_post(VK_GROUP, lost["id"])  # not on the wall (any more): the window is clear
    for n in range(3):
        fake_vk.add_post(VK_GROUP, f"Чужой пост {n}")
    clock.shift(SETTLED)
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED
    assert kinds(dispatch) == ["publish", "reconcile", "publish"]
    reconcile, again = dispatch.attempts.order_by("started_at", "pk")[1:]
    assert reconcile.outcome == "not_found"
    assert again.request.get("again") and again.outcome == "published"
    clock.shift(dt.timedelta(minutes=5))
    run()
    assert fake_vk.method_calls("wall.post") == 2  # exactly once more


def test_a_wall_read_back_through_several_pages_finds_the_post(world, vk, fake_vk, clock):
    fake_vk.honour_guid = False
    item = approved(world, [vk], text="Под лавиной постов")
    fake_vk.drop_after_accept()
    run()
    for n in range(250):  # newer posts push ours to the third page of wall.get
        fake_vk.add_post(VK_GROUP, f"Чужой пост {n}")
    clock.shift(SETTLED)
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED and fake_vk.method_calls("wall.post") == 1


def test_a_wall_too_busy_to_read_back_goes_to_a_person_who_decides(
    world, vk, fake_vk, clock, monkeypatch
):
    monkeypatch.setattr(vk_connector, "FIND_PAGES", 1)  # the read-back looks through 100 posts
    fake_vk.honour_guid = False
    item = approved(world, [vk], text="Не видно за лентой")
    fake_vk.drop_after_accept()
    run()
    for n in range(150):  # more posts since the attempt than the read-back looks through
        fake_vk.add_post(VK_GROUP, f"Чужой пост {n}")
    dispatch = dispatch_of(item)
    for _ in range(delivery.MAX_READ_BACKS - 1):
        clock.shift(SETTLED)
        run()
        dispatch.refresh_from_db()
        assert dispatch.state == S.SCHEDULED  # asked again a bounded number of times
    clock.shift(SETTLED)
    run()
    dispatch.refresh_from_db()
    assert dispatch.state == S.NEEDS_CHECK
    assert told(world, "publication_needs_check").count() == 1
    assert kinds(dispatch) == ["publish"] + ["reconcile"] * delivery.MAX_READ_BACKS
    clock.shift(dt.timedelta(hours=2))
    assert run().claimed == 0  # waits for the person, never read back or sent on its own
    assert fake_vk.method_calls("wall.post") == 1

    with COMMIT["capture"](execute=True):
        services.confirm(world.users["smm"], dispatch, went_out=True)
    dispatch.refresh_from_db()
    assert dispatch.state == S.PUBLISHED and fake_vk.method_calls("wall.post") == 1


def test_a_read_back_that_cannot_tell_for_an_hour_goes_to_a_person_who_sends_it_again(
    world, vk, fake_vk, clock
):
    fake_vk.honour_guid = False
    item = approved(world, [vk], text="Сеть молчит")
    delivery.sync()
    (claimed,) = delivery.claim("dies")
    Attempt.objects.create(dispatch=claimed, kind="publish", worker="dies",
                           started_at=timezone.now())  # fmt: skip
    clock.shift(delivery.READ_BACK_LIMIT)  # e.g. the read-back was refused all this time
    fake_vk.fail_next(10, method="wall.get")  # VK: internal server error on the read-back
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.NEEDS_CHECK
    assert told(world, "publication_needs_check").count() == 1
    with COMMIT["capture"](execute=True):
        services.confirm(world.users["smm"], dispatch, went_out=False)  # "send again"
    dispatch.refresh_from_db()
    assert dispatch.state == S.LATE  # an hour after its time, and marked so
    assert fake_vk.accepted[VK_GROUP] == 1 and fake_vk.method_calls("wall.post") == 1


def test_a_max_channel_too_busy_to_read_back_goes_to_a_person(
    world, mx, fake_max, clock, monkeypatch
):
    monkeypatch.setattr(max_connector, "FIND_PAGES", 1)
    item = approved(world, [mx], text="Не видно в канале")
    fake_max.drop_after_accept()
    run()
    for n in range(150):
        fake_max.add_post(MAX_CHANNEL, f"Чужое сообщение {n}")
    dispatch = dispatch_of(item)
    for _ in range(delivery.MAX_READ_BACKS):
        clock.shift(SETTLED)
        run()
    dispatch.refresh_from_db()
    assert dispatch.state == S.NEEDS_CHECK
    assert told(world, "publication_needs_check").count() == 1
    assert fake_max.accepted[MAX_CHANNEL] == 1
