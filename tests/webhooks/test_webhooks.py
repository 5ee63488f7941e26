"""Outbound webhooks: endpoints per workspace, signed deliveries to a local receiver, retries
with back-off, the log, test and redelivery, the SSRF guard, the API and the workflow's events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.fakes.receiver import Receiver
from zveno.content import requests as expert_requests
from zveno.content import services as content
from zveno.webhooks import sending, services
from zveno.webhooks.models import Delivery, Endpoint

UTC = dt.UTC


@pytest.fixture
def receiver(settings):
    settings.ZVENO_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    fake = Receiver().start()
    try:
        yield fake
    finally:
        fake.stop()


def _endpoint(world, receiver, events=("item.status_changed", "approval.decided")):
    endpoint, raw = services.create_endpoint(
        world.users["owner"], world.workspace_a, url=receiver.url + "/hook", events=list(events)
    )
    receiver.secret = raw
    return endpoint


def test_a_signed_delivery_reaches_the_receiver_once(world, receiver, clock):
    endpoint = _endpoint(world, receiver)
    assert Endpoint.objects.get().secret != receiver.secret  # stored encrypted
    assert endpoint.secret_hint == receiver.secret[:10]
    services.emit(world.workspace_a, "item.status_changed", {"item": {"id": 1}})
    services.emit(world.workspace_a, "goal.reached", {"goal": 1})  # not subscribed
    services.emit(world.workspace_b, "item.status_changed", {"item": {"id": 2}})  # elsewhere
    assert sending.send_due() == {"delivered": 1}
    assert sending.send_due() == {}
    (doc,) = receiver.accepted
    assert doc["event"] == "item.status_changed" and doc["data"] == {"item": {"id": 1}}
    assert doc["workspace"] == "ws-a" and doc["_headers"]["X-Zveno-Event"] == "item.status_changed"
    row = Delivery.objects.get()
    assert row.status == "delivered" and row.response_status == 200 and row.attempts == 1
    with pytest.raises(ValueError, match="Unknown webhook event"):
        services.emit(world.workspace_a, "item.exploded", {})


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(world, receiver, clock):
    _endpoint(world, receiver)
    receiver.secret = "something else"
    services.emit(world.workspace_a, "approval.decided", {"decision": "approved"})
    assert sending.send_due() == {"failed": 1}
    assert receiver.refused and not receiver.accepted


def test_a_failing_receiver_gets_retries_with_back_off_and_the_log_shows_it(
    world, receiver, login, clock
):
    endpoint = _endpoint(world, receiver)
    receiver.fail(503, times=2)
    services.emit(world.workspace_a, "item.status_changed", {"item": {"id": 7}})
    assert sending.send_due() == {"failed": 1}
    row = Delivery.objects.get()
    assert row.response_status == 503 and row.error == "HTTP 503"
    assert row.not_before - row.claimed_at >= dt.timedelta(minutes=1)
    assert sending.send_due() == {}  # waits its back-off
    clock.shift(dt.timedelta(minutes=1, seconds=5))
    assert sending.send_due() == {"failed": 1}
    clock.shift(dt.timedelta(minutes=4))
    assert sending.send_due() == {}  # the second wait is 5 minutes
    clock.shift(dt.timedelta(minutes=1, seconds=5))
    assert sending.send_due() == {"delivered": 1}
    row.refresh_from_db()
    assert row.status == "delivered" and row.attempts == 3
    assert len(receiver.requests) == 3 and len(receiver.accepted) == 1
    page = login(world.users["owner"]).get(reverse("webhooks:endpoint", args=["ws-a", endpoint.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-status="delivered"' in html and "HTTP 200" in html


def test_a_receiver_that_never_answers_well_is_given_up(world, receiver, clock):
    _endpoint(world, receiver)
    receiver.fail(500, times=20)
    services.emit(world.workspace_a, "item.status_changed", {"item": {"id": 7}})
    for _ in range(sending.MAX_ATTEMPTS + 2):
        sending.send_due()
        clock.shift(dt.timedelta(hours=7))
    row = Delivery.objects.get()
    assert row.status == "gave_up" and row.attempts == sending.MAX_ATTEMPTS


def test_send_test_and_redeliver_from_the_page(world, receiver, login, clock):
    endpoint = _endpoint(world, receiver)
    client = login(world.users["owner"])
    response = client.post(reverse("webhooks:test", args=["ws-a", endpoint.pk]))
    assert response.status_code == 302
    (ping,) = receiver.accepted
    assert ping["event"] == "ping"
    first = Delivery.objects.get()
    client.post(reverse("webhooks:redeliver", args=["ws-a", endpoint.pk, first.pk]))
    sending.send_due()
    assert [d["event"] for d in receiver.accepted] == ["ping", "ping"]
    assert receiver.accepted[1]["id"] == ping["id"]  # the same event, sent again
    assert Delivery.objects.filter(redelivery_of=first).count() == 1
    # a new secret signs from now on
    client.post(reverse("webhooks:rotate", args=["ws-a", endpoint.pk]))
    page = client.get(reverse("webhooks:endpoint", args=["ws-a", endpoint.pk])).content.decode()
    assert "whsec_" in page  # shown once
    later = client.get(reverse("webhooks:endpoint", args=["ws-a", endpoint.pk])).content.decode()
    assert 'class="secret"' in page and 'class="secret"' not in later


def test_private_addresses_are_refused_unless_allowed(world, settings):
    settings.ZVENO_WEBHOOKS_ALLOW_PRIVATE = False
    owner = world.users["owner"]
    refused = (
        "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/x",
        "http://[::1]/x", "http://169.254.169.254/latest", "ftp://example.com/x",
    )  # fmt: skip
    for url in refused:
        with pytest.raises(ValidationError) as caught:
            services.create_endpoint(owner, world.workspace_a, url=url, events=["goal.reached"])
        assert "url" in caught.value.message_dict, url
    settings.ZVENO_WEBHOOKS_ALLOW_PRIVATE = True
    services.create_endpoint(owner, world.workspace_a, url="http://127.0.0.1:9/hook",
                             events=["goal.reached"])  # fmt: skip


def test_a_delivery_checks_the_address_again(world, receiver, settings, clock):
    _endpoint(world, receiver)
    settings.ZVENO_WEBHOOKS_ALLOW_PRIVATE = False
    services.emit(world.workspace_a, "item.status_changed", {"item": {"id": 1}})
    assert sending.send_due() == {"failed": 1}
    row = Delivery.objects.get()
    assert "(127.0.0.1)" in row.error and row.response_status is None
    assert not receiver.requests


def test_only_workspace_managers_reach_webhooks(world, login, api, receiver):
    for persona, status in (("smm", 403), ("outsider", 404), ("expert", 404)):
        page = login(world.users[persona]).get(reverse("webhooks:endpoints", args=["ws-a"]))
        assert page.status_code == status, persona
        answer = api(world, persona).get("/api/v1/workspaces/ws-a/webhooks")
        assert answer.status_code == status, persona
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from the chokepoint
        services.create_endpoint(world.users["smm"], world.workspace_a,
                                 url=receiver.url, events=["goal.reached"])  # fmt: skip
    assert not Endpoint.objects.exists()


def test_the_api_creates_lists_tests_and_redelivers(world, api, receiver):
    owner = api(world, "owner")
    created = owner.post("/api/v1/workspaces/ws-a/webhooks", {
        "url": receiver.url + "/n8n", "events": ["goal.reached", "expert_request.answered"],
    })  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    receiver.secret = body["secret"]
    assert owner.get("/api/v1/workspaces/ws-a/webhooks").json()[0]["url"].endswith("/n8n")
    tested = owner.post(f"/api/v1/workspaces/ws-a/webhooks/{body['id']}/test")
    assert tested.status_code == 200 and tested.json()["status"] == "delivered"
    log = owner.get(f"/api/v1/workspaces/ws-a/webhooks/{body['id']}/deliveries").json()
    again = owner.post(
        f"/api/v1/workspaces/ws-a/webhooks/{body['id']}/deliveries/{log[0]['id']}/redeliver"
    )
    assert again.status_code == 202 and again.json()["redelivery_of"] == log[0]["id"]
    bad = owner.post("/api/v1/workspaces/ws-a/webhooks", {"url": "x", "events": ["nope"]})
    assert bad.status_code == 422 and {"url", "events"} <= set(bad.json()["error"]["fields"])
    assert owner.delete(f"/api/v1/workspaces/ws-a/webhooks/{body['id']}").status_code == 204


def test_the_workflow_emits_status_changes_decisions_and_answers(world, receiver, clock):
    _endpoint(world, receiver, events=["item.status_changed", "approval.decided",
                                       "expert_request.answered"])  # fmt: skip
    smm, expert = world.users["smm"], world.users["expert"]
    item = content.create_item(smm, world.alpha, title="Ипотека 2027", format="post")
    for to in ("copy", "design", "review"):
        content.transition(smm, item, to)
    content.approve(smm, item)  # the SMM level → expert approval
    content.request_changes(expert, item, "Добавьте цифры", return_to="copy")
    asked = expert_requests.ask(smm, world.alpha, question="История сделки?", kind="story",
                                due_date=dt.date(2026, 12, 10), item_ids=[item.pk])  # fmt: skip
    expert_requests.answer(expert, asked, text="Клиент купил за два дня")
    sending.send_due()
    events = [(d["event"], d["data"].get("to") or d["data"].get("decision")) for d in
              sorted(receiver.accepted, key=lambda d: d["created_at"])]  # fmt: skip
    assert ("item.status_changed", "expert_approval") in events
    assert ("approval.decided", "approved") in events
    assert ("approval.decided", "changes_requested") in events
    assert ("item.status_changed", "changes_requested") in events
    answered = [d for d in receiver.accepted if d["event"] == "expert_request.answered"]
    assert answered[0]["data"]["answer"]["text"] == "Клиент купил за два дня"
    assert answered[0]["data"]["answer"]["by"]["name"] == "Expert"


def test_secrets_follow_a_key_rotation(world, receiver, settings):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from zveno.core import crypto

    endpoint = _endpoint(world, receiver)
    old = crypto.key_from_secret(settings.SECRET_KEY).decode()
    new = Fernet.generate_key().decode()
    settings.ZVENO_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_credentials", stdout=out)
    assert "1 webhook" in out.getvalue()
    settings.ZVENO_ENCRYPTION_KEYS = [new]
    endpoint.refresh_from_db()
    assert services.secret_of(endpoint) == receiver.secret
    services.emit(world.workspace_a, "item.status_changed", {"item": {"id": 1}})
    assert sending.send_due() == {"delivered": 1}
