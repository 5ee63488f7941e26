""" "Publish now", "retry" and "send again" are queued to the worker: the request answers at once
(202 in the API, "sending…" on the page, polled until it settles), the worker's job sends the post
exactly once, and a delivery that breaks ends as a visible failure, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fakes.fixtures import VK_GROUP
from tests.publishing.conftest import approved, dispatch_of
from zveno.core.celery import app
from zveno.notifications.models import Notification
from zveno.publishing import delivery
from zveno.publishing.models import DispatchState

S = DispatchState


@pytest.fixture(autouse=True)
def eager():
    """The worker's job runs in place when the commit queues it (the test decides when)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def base(item) -> str:
    publication = item.publications.get()
    return f"/api/v1/projects/alpha/items/{item.pk}/publications/{publication.pk}"


def later(world, vk):
    return approved(world, [vk], at=timezone.now() + dt.timedelta(days=2))


def test_the_api_queues_publish_now_and_the_worker_posts_once(
    world, api, vk, fake_vk, django_capture_on_commit_callbacks
):
    item = later(world, vk)
    smm = api(world, "smm")
    with django_capture_on_commit_callbacks() as queued:
        answer = smm.post(f"{base(item)}/publish")
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["status"] == "sending" and body["attempts"] == []
    assert body["delivery"]["state"] == "scheduled"
    assert fake_vk.accepted[VK_GROUP] == 0  # nothing left inside the request
    for job in queued:  # the commit's queued job, as the worker runs it
        job()
    body = smm.get(f"/api/v1/projects/alpha/items/{item.pk}").json()["publications"][0]
    assert body["status"] == "published" and body["url"].startswith("https://vk.com/wall-123_")
    assert [a["outcome"] for a in body["attempts"]] == ["published"]
    assert delivery.run_pass("another-worker").claimed == 0  # the scheduler finds nothing to do
    assert fake_vk.accepted[VK_GROUP] == 1


def test_a_queued_publication_is_sent_once_even_if_a_pass_and_the_job_both_run(
    world, api, vk, fake_vk, django_capture_on_commit_callbacks
):
    item = approved(world, [vk], at=timezone.now() - dt.timedelta(minutes=1))  # due already
    with django_capture_on_commit_callbacks() as queued:
        assert api(world, "smm").post(f"{base(item)}/publish").status_code == 202
    assert delivery.run_pass("scheduler").published == 1  # the pass came first
    for job in queued:
        job()  # the job finds it claimed and done: nothing is sent again
    assert dispatch_of(item).state == S.PUBLISHED
    assert fake_vk.accepted[VK_GROUP] == 1 and fake_vk.method_calls("wall.post") == 1


def test_an_unexpected_connector_error_fails_visibly_and_retry_sends_once(
    world, api, vk, fake_vk, clock, django_capture_on_commit_callbacks
):
    item = later(world, vk)
    smm = api(world, "smm")
    fake_vk.garble_next("wall.post")  # an answer no connector expects
    with django_capture_on_commit_callbacks(execute=True):
        answer = smm.post(f"{base(item)}/publish")
    assert answer.status_code == 202, answer.content
    body = smm.get(f"/api/v1/projects/alpha/items/{item.pk}").json()["publications"][0]
    assert body["status"] == "failed"
    assert "TypeError" in body["last_error"] and "Повторите" in body["last_error"]
    told = Notification.objects.filter(user=world.users["smm"], verb="publication_failed")
    assert told.count() == 1
    assert fake_vk.accepted[VK_GROUP] == 0

    clock.shift(dt.timedelta(seconds=31))  # past the time a request on its way could still land
    with django_capture_on_commit_callbacks(execute=True):
        answer = smm.post(f"{base(item)}/retry")
    assert answer.status_code == 202, answer.content
    dispatch = dispatch_of(item)
    assert dispatch.state == S.PUBLISHED
    # The broken attempt had no known outcome: VK was asked first, then it went out once.
    assert [a.kind for a in dispatch.attempts.all()] == ["publish", "reconcile", "publish"]
    assert fake_vk.accepted[VK_GROUP] == 1


def test_the_page_shows_sending_and_polls_until_it_settles(
    world, client, vk, fake_vk, django_capture_on_commit_callbacks
):
    item = later(world, vk)
    client.force_login(world.users["smm"])
    channel = item.publications.get().channel_id
    act = f"/p/alpha/content/{item.pk}/publications/{channel}/deliver/publish/"
    state = f"/p/alpha/content/{item.pk}/publications/{channel}/state/"
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(act, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "отправляется" in page.lower()  # the message and the block
    assert f'hx-get="{state}' in page and 'hx-trigger="every 2s"' in page
    assert "Опубликовать сейчас" not in page  # no second "publish now" while it is in flight
    polled = client.get(state).content.decode()
    assert 'hx-trigger="every 2s"' in polled
    for job in queued:
        job()
    polled = client.get(state).content.decode()
    assert "hx-trigger" not in polled  # settled: the polling stops
    assert "st-published" in polled and "https://vk.com/wall-123_" in polled
    assert fake_vk.accepted[VK_GROUP] == 1


def test_a_broken_delivery_on_the_page_is_a_failure_with_its_reason_not_a_500(
    world, client, vk, fake_vk, django_capture_on_commit_callbacks
):
    item = later(world, vk)
    client.force_login(world.users["smm"])
    channel = item.publications.get().channel_id
    fake_vk.garble_next("wall.post")
    act = f"/p/alpha/content/{item.pk}/publications/{channel}/deliver/publish/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(act)
    assert response.status_code == 302
    polled = client.get(f"/p/alpha/content/{item.pk}/publications/{channel}/state/")
    text = polled.content.decode()
    assert polled.status_code == 200 and "st-failed" in text and "TypeError" in text
    assert "hx-trigger" not in text


def test_state_polling_is_for_the_projects_people_only(world, client, vk):
    item = later(world, vk)
    channel = item.publications.get().channel_id
    client.force_login(world.users["outsider"])
    state = f"/p/alpha/content/{item.pk}/publications/{channel}/state/"
    assert client.get(state).status_code == 404
