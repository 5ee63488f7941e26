"""The scheduler against the local VK API: every fault ends in the right state, the right person
is told, and nothing goes out twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from tests.publishing.conftest import approved, dispatch_of, minutes
from zveno.content import collab
from zveno.content import services as content
from zveno.content.models import PublicationStatus, State
from zveno.core.celery import app
from zveno.notifications.models import Notification
from zveno.publishing import delivery, services
from zveno.publishing.models import (
    Attempt,
    Connection,
    Dispatch,
    DispatchState,
    HoldReason,
    MissedPolicy,
)

S = DispatchState


COMMIT = {}


@pytest.fixture(autouse=True)
def eager(django_capture_on_commit_callbacks):
    """Queued jobs (the e-mails of notifications) run in place, as each commit would send them."""
    app.conf.task_always_eager = True
    COMMIT["capture"] = django_capture_on_commit_callbacks
    yield
    app.conf.task_always_eager = False


def run():
    with COMMIT["capture"](execute=True):
        return delivery.run_pass("test-worker")


def test_an_approved_due_post_goes_out_once_with_its_log(world, vk, fake_vk):
    item = approved(world, [vk], text="Сдали дом на Лесной")
    report = run()
    assert report.published == 1
    (post,) = fake_vk.posts(VK_GROUP)
    assert post["text"] == "Сдали дом на Лесной"
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED
    assert dispatch.url == f"https://vk.com/wall-{VK_GROUP}_{post['id']}"
    publication = item.publications.get()
    assert publication.status == PublicationStatus.PUBLISHED and publication.url == dispatch.url
    item.refresh_from_db()
    assert item.state == State.PUBLISHED
    (attempt,) = dispatch.attempts.all()
    assert attempt.kind == "publish" and attempt.outcome == "published"
    assert attempt.duration_ms is not None and attempt.finished_at is not None
    assert VK_TOKEN not in str(attempt.request) and VK_TOKEN not in attempt.response
    assert run().claimed == 0  # nothing is due any more
    assert fake_vk.accepted[VK_GROUP] == 1


def test_only_approved_items_go_out_and_an_edit_sends_it_back_to_approval(
    world, vk, fake_vk, clock
):
    draft = content.create_item(
        world.users["smm"], world.alpha, title="Черновик", format="post", text="Ещё не готов",
        planned_at=timezone.now(), channel_ids=[vk.pk],
    )  # fmt: skip
    later = approved(world, [vk], text="Утверждённый текст", at=timezone.now() + minutes(30))
    run()
    assert dispatch_of(later).state == S.SCHEDULED
    content.update_item(world.users["smm"], later, text="Поправленный после согласования")
    later.refresh_from_db()
    assert later.state == State.REVIEW
    clock.shift(minutes(31))
    run()
    assert fake_vk.accepted[VK_GROUP] == 0
    assert not Dispatch.objects.filter(ref=draft.publications.get().pk).exists()
    assert dispatch_of(later).state == S.PLANNED
    content.approve(world.users["smm"], later)
    content.approve(world.users["expert"], later)
    run()
    assert fake_vk.posts(VK_GROUP)[0]["text"] == "Поправленный после согласования"


def test_a_post_due_later_waits_for_its_time(world, vk, fake_vk, clock):
    item = approved(world, [vk], at=timezone.now() + minutes(10))
    run()
    assert dispatch_of(item).state == S.SCHEDULED and fake_vk.accepted[VK_GROUP] == 0
    clock.shift(minutes(11))
    run()
    assert dispatch_of(item).state == S.PUBLISHED and fake_vk.accepted[VK_GROUP] == 1


def test_no_answer_after_sending_is_reconciled_never_sent_blindly(world, vk, fake_vk, clock):
    fake_vk.honour_guid = False  # VK's own guid dedup off: only our reconciliation prevents a twin
    item = approved(world, [vk], text="Ответ потерялся")
    fake_vk.drop_after_accept()
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.SCHEDULED and fake_vk.accepted[VK_GROUP] == 1
    assert dispatch.attempts.get().outcome == "unknown"
    clock.shift(dt.timedelta(seconds=31))
    run()
    dispatch.refresh_from_db()
    assert dispatch.state == S.PUBLISHED and dispatch.external_id
    assert fake_vk.accepted[VK_GROUP] == 1 and fake_vk.method_calls("wall.post") == 1
    assert [a.kind for a in dispatch.attempts.all()] == ["publish", "reconcile"]


def test_a_dead_workers_attempt_is_reconciled_before_anything_is_sent(world, vk, fake_vk, clock):
    fake_vk.honour_guid = False
    item = approved(world, [vk], text="Работник упал")
    delivery.sync()
    (claimed,) = delivery.claim("dies")
    # The worker wrote its attempt and died: did the request leave? Nobody knows.
    Attempt.objects.create(dispatch=claimed, kind="publish", worker="dies",
                           started_at=timezone.now())  # fmt: skip
    assert run().claimed == 0  # its lease still holds
    clock.shift(dt.timedelta(seconds=130))
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED  # the wall did not have it: sent once, now
    assert fake_vk.accepted[VK_GROUP] == 1
    assert [a.kind for a in dispatch.attempts.all()] == ["publish", "reconcile", "publish"]


def test_a_claim_is_never_shared(world, vk):
    for n in range(5):
        approved(world, [vk], text=f"Пост {n}", title=f"Пост {n}")
    delivery.sync()
    first = delivery.claim("a", limit=3)
    second = delivery.claim("b", limit=10)
    assert len(first) == 3 and len(second) == 2
    assert not {d.pk for d in first} & {d.pk for d in second}


def test_a_revoked_token_holds_the_channel_and_tells_smm_and_lead_at_once(
    world, vk, fake_vk, clock
):
    items = [approved(world, [vk], text=f"Пост {n}", title=f"Пост {n}") for n in range(3)]
    fake_vk.revoke(VK_TOKEN)
    run()
    vk.refresh_from_db()
    assert vk.connection == Connection.NEEDS_RECONNECT
    states = {dispatch_of(i).state for i in items}
    assert states == {S.HELD}
    assert {dispatch_of(i).hold_reason for i in items} == {HoldReason.RECONNECT}
    assert fake_vk.method_calls("wall.post") == 1  # one request found it out; the rest wait
    told = Notification.objects.filter(verb="channel_reconnect")
    assert {n.user.username for n in told} == {"smm", "owner"}  # the SMM and the producer
    assert {m.to[0] for m in mail.outbox} >= {"smm@example.test", "owner@example.test"}
    # Connected again: held publications go out (late, by the project's rule).
    fake_vk.add_token("new-token", manages={VK_GROUP: 3})
    vk = services.connect_channel(world.users["smm"], vk, {"access_token": "new-token"})
    assert services.test_connection(world.users["smm"], vk).connection == Connection.OK
    run()
    clock.shift(dt.timedelta(seconds=2))  # the test itself used up VK's second (error 6)
    run()
    assert {dispatch_of(i).state for i in items} <= {S.PUBLISHED, S.LATE}
    assert fake_vk.accepted[VK_GROUP] == 3


def test_a_refused_post_fails_with_the_networks_reason_and_the_smm_is_told(world, vk, fake_vk):
    item = approved(world, [vk])
    fake_vk.fail_next(219, method="wall.post")
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.FAILED and dispatch.reason
    assert "219" in dispatch.attempts.get().response  # the network's own words, in the log
    assert item.publications.get().status == PublicationStatus.FAILED
    note = Notification.objects.get(verb="publication_failed")
    assert note.user.username == "smm" and item.title in note.text
    assert mail.outbox and mail.outbox[-1].to == ["smm@example.test"]


@pytest.mark.parametrize(("code", "wait"), [(6, 1.0), (9, 60.0)])
def test_rate_limits_wait_exactly_as_the_network_says(world, vk, fake_vk, code, wait):
    item = approved(world, [vk])
    fake_vk.fail_next(code, method="wall.post")
    before = timezone.now()
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.SCHEDULED
    waited = (dispatch.next_try_at - before).total_seconds()
    assert wait <= waited < wait + 2
    assert not Notification.objects.filter(verb__startswith="publication_").exists()


def test_server_errors_are_retried_with_backoff_then_fail_loudly(world, vk, fake_vk, clock):
    item = approved(world, [vk])
    for n in range(delivery.MAX_TRANSIENT):
        fake_vk.fail(502)
        run()
        dispatch = dispatch_of(item)
        if n < delivery.MAX_TRANSIENT - 1:
            assert dispatch.state == S.SCHEDULED and dispatch.tries == n + 1
            clock.shift(dt.timedelta(minutes=11))
    assert dispatch.state == S.FAILED
    assert Notification.objects.filter(verb="publication_failed").exists()
    assert fake_vk.accepted[VK_GROUP] == 0


def test_missed_under_two_hours_goes_out_marked_late(world, vk, fake_vk):
    item = approved(world, [vk], at=timezone.now() - minutes(40))
    run()
    assert dispatch_of(item).state == S.LATE and fake_vk.accepted[VK_GROUP] == 1


def test_missed_by_hours_is_held_and_the_smm_asked(world, api, vk, fake_vk):
    item = approved(world, [vk], at=timezone.now() - dt.timedelta(hours=3))
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.HELD and dispatch.hold_reason == HoldReason.MISSED
    assert Notification.objects.get(verb="publication_needs_check").user.username == "smm"
    assert fake_vk.accepted[VK_GROUP] == 0
    # "Publish it late": the retry sends it, marked late.
    publication = item.publications.get()
    path = f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}/retry"
    with COMMIT["capture"](execute=True):
        answer = api(world, "smm").post(path)
    assert answer.status_code == 202, answer.content
    assert dispatch_of(item).state == S.LATE
    assert fake_vk.accepted[VK_GROUP] == 1


def test_a_project_may_always_publish_late(world, vk, fake_vk):
    services.set_missed_policy(world.users["smm"], world.alpha, MissedPolicy.LATE)
    item = approved(world, [vk], at=timezone.now() - dt.timedelta(hours=5))
    run()
    assert dispatch_of(item).state == S.LATE


def test_edit_and_delete_of_a_published_post_change_the_wall(world, api, vk, fake_vk):
    item = approved(world, [vk], text="Первая версия")
    run()
    publication = item.publications.get()
    base = f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}"
    smm = api(world, "smm")
    answer = smm.patch(base, {"text": "Исправленная версия"})
    assert answer.status_code == 200, answer.content
    (post,) = fake_vk.posts(VK_GROUP)
    assert post["text"] == "Исправленная версия"
    answer = smm.delete(f"{base}/post")
    assert answer.status_code == 200, answer.content
    assert fake_vk.posts(VK_GROUP) == []
    assert dispatch_of(item).state == S.CANCELLED
    kinds = [a["kind"] for a in smm.get(f"{base}/attempts").json()]
    assert kinds == ["publish", "edit", "delete"]


def test_the_api_publishes_now_and_shows_the_delivery_log(world, api, vk, fake_vk):
    item = approved(world, [vk], at=timezone.now() + dt.timedelta(days=2))
    publication = item.publications.get()
    base = f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}"
    assert api(world, "copywriter").post(f"{base}/publish").status_code == 403
    assert api(world, "outsider").post(f"{base}/publish").status_code == 404
    with COMMIT["capture"](execute=True):  # the queued job runs as the worker would
        answer = api(world, "smm").post(f"{base}/publish")
    assert answer.status_code == 202, answer.content
    body = api(world, "smm").get(f"{base}/attempts").json()
    (attempt,) = body
    assert attempt["outcome"] == "published" and attempt["request"]["method"] == "publish"
    item_json = api(world, "smm").get(f"/api/v1/projects/alpha/items/{item.pk}").json()
    body = item_json["publications"][0]
    assert body["status"] == "published" and body["url"].startswith("https://vk.com/wall-123_")
    assert body["external_id"] and body["last_error"] == ""
    item_json = api(world, "smm").get(f"/api/v1/projects/alpha/items/{item.pk}").json()
    (pub,) = item_json["publications"]
    assert pub["status"] == "published" and pub["external_id"] == body["external_id"]
    assert [a["outcome"] for a in pub["attempts"]] == ["published"]
    assert fake_vk.accepted[VK_GROUP] == 1


def test_publish_now_refuses_an_unapproved_item(world, api, vk):
    item = content.create_item(
        world.users["smm"], world.alpha, title="Идея", format="post", text="…",
        channel_ids=[vk.pk],
    )  # fmt: skip
    publication = item.publications.get()
    path = f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}/publish"
    answer = api(world, "smm").post(path)
    assert answer.status_code == 422
    assert "согласован" in answer.json()["error"]["message"]


def test_a_needs_check_answer_decides(world, api, vk, fake_vk):
    item = approved(world, [vk])
    publication = item.publications.get()
    delivery.sync()
    Dispatch.objects.filter(ref=publication.pk).update(state=S.NEEDS_CHECK)
    base = f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}"
    smm = api(world, "smm")
    assert smm.post(f"{base}/confirm", {"went_out": "maybe"}).status_code == 422
    with COMMIT["capture"](execute=True):
        answer = smm.post(f"{base}/confirm", {"went_out": False})
    assert answer.status_code == 202, answer.content  # queued to go again at once
    assert smm.get(f"{base}/attempts").json()[-1]["outcome"] == "published"
    assert fake_vk.accepted[VK_GROUP] == 1
    assert smm.post(f"{base}/confirm", {"went_out": True}).status_code == 422  # not waiting


def test_the_command_line_publishes_what_is_due_and_tests_channels(world, vk, fake_vk):
    approved(world, [vk])
    out = io.StringIO()
    call_command("publish", "--due", stdout=out)
    assert "published 1" in out.getvalue()
    assert fake_vk.accepted[VK_GROUP] == 1
    out = io.StringIO()
    call_command("channels", "test", "alpha", stdout=out)
    assert "ok (title Альфа ВК, members 1000)" in out.getvalue()
    fake_vk.revoke(VK_TOKEN)
    with pytest.raises(CommandError, match="1 channel"):
        call_command("channels", "test", "alpha", stdout=io.StringIO())


def test_a_picture_added_after_approval_sends_the_item_back(world, vk, fake_vk):
    item = approved(world, [vk], at=timezone.now() + minutes(30))
    png = SimpleUploadedFile("new.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
    collab.attach_media(world.users["smm"], item, png)
    item.refresh_from_db()
    assert item.state == State.REVIEW


def test_one_publication_that_breaks_never_stops_the_others(world, vk, fake_vk, caplog):
    first = approved(world, [vk], text="Первый", title="Первый")
    second = approved(world, [vk], text="Второй", title="Второй")
    delivery.sync()
    broken = dispatch_of(first).ref

    def breaks(dispatch):
        if dispatch.ref == broken:
            raise RuntimeError("a listener broke")

    delivery.DELIVERED.register(breaks)
    try:
        report = run()
    finally:
        delivery.DELIVERED._functions.remove(breaks)
    assert "a listener broke" in caplog.text
    assert dispatch_of(second).state == S.PUBLISHED
    assert report.claimed == 2 and fake_vk.accepted[VK_GROUP] == 2


def test_a_worker_that_died_after_the_answer_leaves_it_published(world, vk, fake_vk, clock):
    fake_vk.honour_guid = False
    item = approved(world, [vk], text="Ответ получен, работник упал")
    delivery.sync()
    (claimed,) = delivery.claim("dies")
    # The worker heard "published" and wrote it on its attempt, then died before the release.
    now = timezone.now()
    Attempt.objects.create(dispatch=claimed, kind="publish", worker="dies", started_at=now,
                           finished_at=now, outcome="published")  # fmt: skip
    Dispatch.objects.filter(pk=claimed.pk).update(external_id="-123_77",
                                                  url="https://vk.com/wall-123_77")  # fmt: skip
    clock.shift(dt.timedelta(seconds=130))
    run()
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED and dispatch.url == "https://vk.com/wall-123_77"
    assert fake_vk.method_calls("wall.post") == 0  # nothing sent again
