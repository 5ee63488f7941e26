"""A VK community connected through VK ID (OAuth 2.1 with PKCE) against the local fake: the button
and why it may be missing, the whole flow through the pages, a state that is not this person's or
too old, and the access token renewed with the refresh token (or the channel held for
reconnecting when VK ID refuses)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.fixtures import VK_GROUP
from tests.publishing.conftest import approved, dispatch_of
from zveno.core import crypto
from zveno.core.celery import app
from zveno.notifications.models import Notification
from zveno.publishing import delivery, services
from zveno.publishing.models import Channel, Connection, DispatchState, HoldReason

PUBLIC = "https://zveno.example.ru"


@pytest.fixture(autouse=True)
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def vk_id(settings, fake_vk):
    """This installation at a public address with a VK ID app; VK and VK ID are the fake."""
    settings.BASE_URL = PUBLIC
    settings.ZVENO_VK_CLIENT_ID = fake_vk.client_id
    settings.ZVENO_VK_ID_URL = fake_vk.url
    settings.ZVENO_VK_API_URL = f"{fake_vk.url}/method"
    return fake_vk


@pytest.fixture
def community(world):
    """Alpha's VK community, its id typed in, not connected yet."""
    return services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", f"-{VK_GROUP}")


def page(channel) -> str:
    return f"/p/alpha/channels/{channel.pk}/"


def to_vk_id(client, channel) -> str:
    """Presses "Connect with VK ID"; the fake VK ID approves at once; the way back, as a path."""
    response = client.post(f"{page(channel)}vk-id/")
    assert response.status_code == 302
    back = httpx.get(response["Location"], follow_redirects=False)
    assert back.status_code == 302
    callback = back.headers["location"]
    assert callback.startswith(f"{PUBLIC}/channels/vk-id/callback/?")
    return callback.removeprefix(PUBLIC)


def connect(client, channel):
    return client.get(to_vk_id(client, channel), follow=True)


def stored(channel) -> dict:
    channel = Channel.objects.get(pk=channel.pk)
    return crypto.decrypt(channel.credentials)


def run(capture):
    with capture(execute=True):
        return delivery.run_pass("test-worker")


def test_the_button_shows_only_with_a_public_address_and_an_app(
    world, client, community, settings, vk_id
):
    client.force_login(world.users["smm"])
    text = client.get(page(community)).content.decode()
    assert "Подключить через VK ID" in text
    assert f'action="{page(community)}vk-id/"' in text
    settings.BASE_URL = "http://127.0.0.1:8000"
    text = client.get(page(community)).content.decode()
    assert "Подключить через VK ID" not in text
    assert "публичному HTTPS-адресу" in text and "http://127.0.0.1:8000" in text
    settings.BASE_URL, settings.ZVENO_VK_CLIENT_ID = PUBLIC, ""
    text = client.get(page(community)).content.decode()
    assert "Подключить через VK ID" not in text and "ZVENO_VK_CLIENT_ID" in text
    # Pressed anyway (an old page): refused with the same reason, nothing stored.
    response = client.post(f"{page(community)}vk-id/", follow=True)
    assert "ZVENO_VK_CLIENT_ID" in response.content.decode()
    assert not Channel.objects.get(pk=community.pk).credentials


def test_the_whole_flow_stores_the_tokens_encrypted_and_tests_the_connection(
    world, client, community, vk_id, django_capture_on_commit_callbacks
):
    client.force_login(world.users["smm"])
    response = connect(client, community)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Подключено: Альфа ВК" in text and "VK ID" in text
    (asked,) = vk_id.authorized
    assert asked["scope"].split() == ["wall", "photos", "video", "groups", "stats", "offline"]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["redirect_uri"] == f"{PUBLIC}/channels/vk-id/callback/"
    channel = Channel.objects.get(pk=community.pk)
    assert channel.connection == Connection.OK
    secrets = stored(channel)
    assert secrets["access_token"] in vk_id.tokens and secrets["refresh_token"]
    assert secrets["device_id"] and secrets["expires_at"]
    for secret in (secrets["access_token"], secrets["refresh_token"]):
        assert secret not in channel.credentials and secret not in text
    assert channel.credentials_hint.endswith("VK ID")
    # The API shows it connected, never the tokens.
    body = client.get(f"/api/v1/projects/alpha/channels/{channel.pk}").content.decode()
    assert secrets["access_token"] not in body and secrets["refresh_token"] not in body
    # And the scheduler publishes with it.
    approved(world, [channel], text="Через VK ID")
    assert run(django_capture_on_commit_callbacks).published == 1
    assert vk_id.posts(VK_GROUP)[0]["text"] == "Через VK ID"


def test_a_state_that_is_forged_old_another_persons_or_used_is_refused(
    world, client, community, vk_id, clock
):
    client.force_login(world.users["smm"])
    path = to_vk_id(client, community)
    query = parse_qs(urlsplit(path).query)
    forged = path.replace(query["state"][0], query["state"][0][:-1] + "0")
    if forged == path:
        forged = path.replace(query["state"][0], query["state"][0][:-1] + "1")
    response = client.get(forged, follow=True)
    assert "не подходит" in response.content.decode()
    assert not Channel.objects.get(pk=community.pk).credentials

    client.force_login(world.users["owner"])  # may manage the channel, but did not ask
    response = client.get(path, follow=True)
    assert "не подходит" in response.content.decode()
    assert not Channel.objects.get(pk=community.pk).credentials

    client.force_login(world.users["smm"])
    clock.shift(dt.timedelta(minutes=11))
    response = client.get(path, follow=True)
    assert "слишком поздно" in response.content.decode()
    assert not Channel.objects.get(pk=community.pk).credentials

    fresh = to_vk_id(client, community)
    assert client.get(fresh, follow=True).status_code == 200
    assert Channel.objects.get(pk=community.pk).connection == Connection.OK
    response = client.get(fresh, follow=True)  # the same answer again
    assert "не подходит" in response.content.decode()


def test_an_outsider_with_a_valid_state_of_their_own_cannot_reach_the_channel(
    world, client, community, vk_id
):
    client.force_login(world.users["copywriter"])  # on the project, but may not manage it
    assert client.post(f"{page(community)}vk-id/").status_code == 403
    assert vk_id.authorized == []


def test_an_expiring_token_is_renewed_before_the_post(
    world, client, community, vk_id, clock, django_capture_on_commit_callbacks
):
    client.force_login(world.users["smm"])
    connect(client, community)
    first = stored(community)
    clock.shift(dt.timedelta(minutes=57))  # three minutes of life left
    approved(world, [community], text="Через час")
    assert run(django_capture_on_commit_callbacks).published == 1
    assert vk_id.refreshed == 1 and vk_id.accepted[VK_GROUP] == 1
    renewed = stored(community)
    assert renewed["access_token"] != first["access_token"]
    assert renewed["refresh_token"] != first["refresh_token"]
    assert int(renewed["expires_at"]) > int(first["expires_at"])
    # Long after the last renewal (the token expired hours ago): renewed again, then posted.
    clock.shift(dt.timedelta(hours=5))
    approved(world, [community], text="Через пять часов", title="Позже")
    assert run(django_capture_on_commit_callbacks).published == 1
    assert vk_id.refreshed == 2 and vk_id.accepted[VK_GROUP] == 2
    assert Channel.objects.get(pk=community.pk).connection == Connection.OK


def test_a_refused_renewal_holds_the_channel_for_reconnecting_and_tells_people(
    world, client, community, vk_id, clock, django_capture_on_commit_callbacks
):
    client.force_login(world.users["smm"])
    connect(client, community)
    vk_id.revoke_refresh_tokens()  # the person withdrew the app's access in VK
    clock.shift(dt.timedelta(minutes=61))
    items = [approved(world, [community], title=f"Пост {n}") for n in range(2)]
    run(django_capture_on_commit_callbacks)
    channel = Channel.objects.get(pk=community.pk)
    assert channel.connection == Connection.NEEDS_RECONNECT
    assert {dispatch_of(i).state for i in items} == {DispatchState.HELD}
    assert {dispatch_of(i).hold_reason for i in items} == {HoldReason.RECONNECT}
    told = Notification.objects.filter(verb="channel_reconnect")
    assert {n.user.username for n in told} == {"smm", "owner"}
    assert vk_id.accepted[VK_GROUP] == 0
    # Reconnected with VK ID: what was held goes out.
    connect(client, channel)
    assert Channel.objects.get(pk=community.pk).connection == Connection.OK
    run(django_capture_on_commit_callbacks)
    clock.shift(dt.timedelta(seconds=2))  # the test itself used up VK's second (error 6)
    run(django_capture_on_commit_callbacks)
    assert vk_id.accepted[VK_GROUP] == 2
