"""Connecting a channel: secrets encrypted at rest, never shown again, tested against the fakes."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from tests.fakes.fixtures import VK_GROUP, VK_TOKEN
from zveno.core import crypto
from zveno.publishing import services
from zveno.publishing.models import Channel, Connection

API = "/api/v1/projects/alpha/channels"


@pytest.fixture
def vk_channel(world, fake_vk, settings):
    settings.ZVENO_VK_API_URL = f"{fake_vk.url}/method"
    return services.add_channel(world.users["smm"], world.alpha, "vk", "ВК", f"-{VK_GROUP}")


def stored(channel) -> str:
    return Channel.objects.values_list("credentials", flat=True).get(pk=channel.pk)


def test_credentials_are_encrypted_at_rest_and_read_back(world, vk_channel):
    services.connect_channel(world.users["smm"], vk_channel, {"access_token": VK_TOKEN})
    raw = stored(vk_channel)
    assert raw and VK_TOKEN not in raw
    vk_channel.refresh_from_db()
    assert services.target_for(vk_channel).credentials == {"access_token": VK_TOKEN}
    assert VK_TOKEN not in repr(services.target_for(vk_channel))
    assert vk_channel.credentials_hint == "…oken" and vk_channel.connection == Connection.UNKNOWN


def test_rotation_re_encrypts_with_the_new_key_and_the_old_key_can_go(world, vk_channel, settings):
    services.connect_channel(world.users["smm"], vk_channel, {"access_token": VK_TOKEN})
    old = crypto.key_from_secret(settings.SECRET_KEY).decode()
    new = Fernet.generate_key().decode()
    settings.ZVENO_ENCRYPTION_KEYS = [new, old]
    before = stored(vk_channel)
    out = io.StringIO()
    call_command("rotate_credentials", stdout=out)
    assert "1 channel" in out.getvalue()
    after = stored(vk_channel)
    assert after != before
    settings.ZVENO_ENCRYPTION_KEYS = [new]
    vk_channel.refresh_from_db()
    assert services.target_for(vk_channel).credentials["access_token"] == VK_TOKEN
    settings.ZVENO_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.CannotDecrypt):
        services.target_for(vk_channel)


def test_api_takes_write_only_credentials_and_the_test_reads_the_community(world, api, vk_channel):
    smm = api(world, "smm")
    answer = smm.patch(
        f"{API}/{vk_channel.pk}", {"credentials": {"access_token": VK_TOKEN}, "handle": "-123"}
    )
    assert answer.status_code == 200, answer.content
    assert VK_TOKEN not in answer.content.decode()
    body = answer.json()
    assert body["connected"] and body["connection"] == "unknown" and body["handle"] == "-123"
    tested = smm.post(f"{API}/{vk_channel.pk}/test")
    assert tested.status_code == 200, tested.content
    body = tested.json()
    assert body["connection"] == "ok"
    assert body["connection_result"]["members"] == 1000
    assert body["connection_result"]["title"] == "Альфа ВК"
    assert VK_TOKEN not in smm.get(f"{API}/{vk_channel.pk}").content.decode()
    assert VK_TOKEN not in smm.get(API).content.decode()


def test_a_revoked_token_tests_as_needs_reconnect(world, api, vk_channel, fake_vk):
    services.connect_channel(world.users["smm"], vk_channel, {"access_token": VK_TOKEN})
    fake_vk.revoke(VK_TOKEN)
    body = api(world, "smm").post(f"{API}/{vk_channel.pk}/test").json()
    assert body["connection"] == "needs_reconnect"
    assert body["connection_result"]["reason"]


def test_bad_credentials_are_refused_with_a_clear_error(world, api, vk_channel):
    smm = api(world, "smm")
    answer = smm.patch(f"{API}/{vk_channel.pk}", {"credentials": {"bot_token": "x"}})
    assert answer.status_code == 422
    assert "bot_token" in answer.content.decode()
    answer = smm.patch(f"{API}/{vk_channel.pk}", {"credentials": {"access_token": "  "}})
    assert answer.status_code == 422
    assert not Channel.objects.get(pk=vk_channel.pk).is_connected


@pytest.mark.parametrize(("persona", "status"), [("copywriter", 403), ("expert", 403),
                                                 ("outsider", 404)])  # fmt: skip
def test_only_managers_connect_or_test(world, api, vk_channel, persona, status):
    caller = api(world, persona)
    answer = caller.patch(f"{API}/{vk_channel.pk}", {"credentials": {"access_token": "t"}})
    assert answer.status_code in (status, 404)
    assert caller.post(f"{API}/{vk_channel.pk}/test").status_code in (status, 404)
    assert not Channel.objects.get(pk=vk_channel.pk).is_connected


def test_the_channel_page_connects_tests_and_never_shows_the_token(
    world, login, vk_channel, caplog
):
    client = login(world.users["smm"])
    edit = reverse("publishing:channel_edit", args=["alpha", vk_channel.pk])
    connect = reverse("publishing:channel_connect", args=["alpha", vk_channel.pk])
    with caplog.at_level(logging.DEBUG):
        answer = client.post(connect, {"token": VK_TOKEN}, follow=True)
    page = answer.content.decode()
    assert answer.status_code == 200
    assert VK_TOKEN not in page and VK_TOKEN not in caplog.text
    assert "Альфа ВК" in page  # the test ran at once and said what it found
    vk_channel.refresh_from_db()
    assert vk_channel.connection == Connection.OK
    test = reverse("publishing:channel_test", args=["alpha", vk_channel.pk])
    assert client.post(test).status_code == 302
    assert VK_TOKEN not in client.get(edit).content.decode()
    client.post(connect, {"disconnect": "1"})
    assert not Channel.objects.get(pk=vk_channel.pk).is_connected


def test_a_network_without_publishing_is_marked_by_hand(world, api):
    instagram = world.alpha.channels.get(network="instagram")
    answer = api(world, "smm").patch(f"{API}/{instagram.pk}", {"credentials": {"token": "x"}})
    assert answer.status_code == 422
