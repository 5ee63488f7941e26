"""A project's channels: services, the channels page and the channels API, by persona."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.content.conftest import make_item
from zveno.publishing import services
from zveno.publishing.models import Channel
from zveno.publishing.views import format_slots, parse_slots

MWF = [{"weekday": d, "time": t} for d in (0, 2, 4) for t in ("10:00", "19:00")]


def url(name, world, **kwargs):
    return reverse(f"publishing:{name}", kwargs={"slug": world.alpha.slug, **kwargs})


def telegram(world) -> Channel:
    return world.alpha.channels.get(network="telegram")


# --- services ----------------------------------------------------------------------------------


def test_add_channel_keeps_cadence_and_sorted_slots(world):
    slots = [{"weekday": 4, "time": "19:00"}, {"weekday": 0, "time": "9:30"}]
    channel = services.add_channel(
        world.users["smm"], world.alpha, "vk", "Сообщество", "https://vk.com/alpha",
        cadence={"post": 3, "stories": 0, "reels": 1.5}, slots=slots,
    )  # fmt: skip
    channel.refresh_from_db()
    assert channel.slots == [{"weekday": 0, "time": "09:30"}, {"weekday": 4, "time": "19:00"}]
    assert channel.cadence == {"post": 3, "reels": 1.5}  # zero means "none": dropped
    assert channel.is_active


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"slots": [{"weekday": 1, "time": "25:00"}]}, "slots", "25:00"),
        ({"slots": [{"weekday": 7, "time": "10:00"}]}, "slots", "0"),
        ({"slots": [{"weekday": 2, "time": "10:00"}, {"weekday": 2, "time": "10:00"}]},
         "slots", "twice"),
        ({"cadence": {"post": -1}}, "cadence", "between 0"),
        ({"cadence": {"podcast": 2}}, "cadence", "podcast"),
        ({"cadence": {"post": "three"}}, "cadence", "number"),
        ({"name": "  "}, "name", "Name"),
        ({"network": "myspace"}, "network", "myspace"),
    ],
)  # fmt: skip
def test_update_channel_refuses_bad_values_with_a_clear_error(world, fields, field, words):
    channel = telegram(world)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.update_channel(world.users["smm"], channel, **fields)
    assert words in " ".join(refused.value.message_dict[field])
    channel.refresh_from_db()
    assert channel.slots == [] and channel.name != "  "


def test_the_copywriter_cannot_change_a_channel(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.update_channel(world.users["copywriter"], telegram(world), name="Моё")


def test_a_used_channel_is_never_deleted(world):
    make_item(world)  # publications on both of Alpha's channels
    with pytest.raises(services.ChannelInUse):
        services.remove_channel(world.users["owner"], telegram(world))
    assert telegram(world).publications.exists()


def test_slots_are_typed_as_lines_of_days_and_times():
    assert parse_slots("Mon, Wed, Fri 10:00, 19:00") == MWF
    assert parse_slots("пн-пт 9") == [{"weekday": d, "time": "9:00"} for d in range(5)]
    assert parse_slots("сб. 12:00\n\nВоскресенье 12:30") == [
        {"weekday": 5, "time": "12:00"},
        {"weekday": 6, "time": "12:30"},
    ]
    with pytest.raises(Exception, match="Funday"):
        parse_slots("Funday 10:00")
    with translation.override("en"), pytest.raises(Exception, match="Line 2"):
        parse_slots("Mon 10:00\nTue")
    with translation.override("en"):
        assert format_slots(MWF) == ["Mon, Wed, Fri 10:00, 19:00"]


# --- the page ----------------------------------------------------------------------------------


def test_everybody_on_the_project_sees_the_channels(world, login, django_assert_max_num_queries):
    services.update_channel(world.users["smm"], telegram(world), slots=MWF, cadence={"post": 3})
    client = login(world.users["copywriter"])
    with django_assert_max_num_queries(20):
        response = client.get(url("channels", world))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Пн, Ср, Пт 10:00, 19:00" in body
    assert "Instagram" in body and "Telegram" in body
    assert "channel_toggle" not in body and 'name="network"' not in body  # no managing


def test_the_list_page_does_not_grow_with_channels(world, login, django_assert_max_num_queries):
    for n in range(15):
        services.add_channel(world.users["owner"], world.alpha, "vk", f"ВК {n}", slots=MWF)
    make_item(world)
    client = login(world.users["owner"])
    with django_assert_max_num_queries(20):
        assert client.get(url("channels", world)).status_code == 200


def test_outsiders_do_not_see_the_channels(world, login):
    assert login(world.users["other_expert"]).get(url("channels", world)).status_code == 404


def test_only_managers_add_channels(world, login):
    form = {"network": "vk", "name": "ВК", "slots": "Пн 10:00", "is_active": "on"}
    refused = login(world.users["copywriter"]).post(url("channels", world), form)
    assert refused.status_code == 403
    assert not world.alpha.channels.filter(network="vk").exists()
    done = login(world.users["smm"]).post(url("channels", world), form)
    assert done.status_code == 302
    added = world.alpha.channels.get(network="vk")
    assert added.slots == [{"weekday": 0, "time": "10:00"}] and added.is_active


def test_the_add_form_says_what_is_wrong(world, login):
    client = login(world.users["smm"])
    form = {"network": "vk", "slots": "Пн 10:00\nПн 10:00", "cadence_post": "-2"}
    body = client.post(url("channels", world), form).content.decode()
    assert "равно 0" in body  # the page is in Russian, the default
    assert "has-error" in body
    form["cadence_post"] = "2"
    body = client.post(url("channels", world), form).content.decode()
    assert "Пн 10:00" in body and "дважды" in body
    form["slots"] = "Пн 26:00"
    body = client.post(url("channels", world), form).content.decode()
    assert "26:00" in body and "ЧЧ:ММ" in body
    assert not world.alpha.channels.filter(network="vk").exists()


def test_edit_sets_cadence_and_slots(world, login):
    channel = telegram(world)
    client = login(world.users["owner"])
    page = client.get(url("channel_edit", world, channel_id=channel.pk))
    assert page.status_code == 200
    form = {
        "network": "telegram", "name": "Альфа-новости", "handle": "@alpha",
        "slots": "Пн, Ср, Пт 10:00, 19:00", "is_active": "on",
        "cadence_post": "3", "cadence_stories": "",
    }  # fmt: skip
    assert client.post(url("channel_edit", world, channel_id=channel.pk), form).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.handle) == ("Альфа-новости", "@alpha")
    assert channel.slots == MWF and channel.cadence == {"post": 3}
    again = client.get(url("channel_edit", world, channel_id=channel.pk)).content.decode()
    assert "Пн, Ср, Пт 10:00, 19:00" in again  # the form shows what was saved


def test_the_copywriter_cannot_open_the_edit_form(world, login):
    client = login(world.users["copywriter"])
    assert client.get(url("channel_edit", world, channel_id=telegram(world).pk)).status_code == 403


def test_deactivate_and_activate_again(world, login):
    channel = telegram(world)
    client = login(world.users["smm"])
    client.post(url("channel_toggle", world, channel_id=channel.pk))
    channel.refresh_from_db()
    assert not channel.is_active
    client.post(url("channel_toggle", world, channel_id=channel.pk))
    channel.refresh_from_db()
    assert channel.is_active


def test_delete_removes_an_unused_channel_and_refuses_a_used_one(world, login):
    client = login(world.users["owner"])
    make_item(world)
    spare = services.add_channel(world.users["owner"], world.alpha, "dzen", "Дзен")
    client.post(url("channel_delete", world, channel_id=spare.pk))
    assert not Channel.objects.filter(pk=spare.pk).exists()
    response = client.post(url("channel_delete", world, channel_id=telegram(world).pk), follow=True)
    assert Channel.objects.filter(pk=telegram(world).pk).exists()
    assert "отключите его" in response.content.decode()  # Russian, the default


def test_settings_and_the_plan_link_to_the_channels(world, login):
    client = login(world.users["owner"])
    target = url("channels", world)
    settings = client.get(reverse("projects:project_edit", args=[world.alpha.slug]))
    assert target in settings.content.decode()
    plan = client.get(reverse("content:items", args=[world.alpha.slug]))
    assert target in plan.content.decode()


# --- the API -----------------------------------------------------------------------------------

API = "/api/v1/projects/alpha/channels"


def test_api_lists_and_creates_channels(world, api):
    listed = api(world, "expert").get(API)
    assert listed.status_code == 200
    assert {c["network"] for c in listed.json()} == {"telegram", "instagram"}
    body = {"network": "vk", "name": "ВК", "handle": "https://vk.com/alpha",
            "cadence": {"post": 2}, "slots": [{"weekday": 1, "time": "12:00"}]}  # fmt: skip
    created = api(world, "smm").post(API, body)
    assert created.status_code == 201
    data = created.json()
    assert data["slots"] == [{"weekday": 1, "time": "12:00"}] and data["cadence"] == {"post": 2}
    assert data["is_active"] and data["publications"] == 0
    got = api(world, "copywriter").get(f"{API}/{data['id']}")
    assert got.json()["handle"] == "https://vk.com/alpha"


def test_api_copywriter_cannot_create_and_other_experts_do_not_see(world, api):
    refused = api(world, "copywriter").post(API, {"network": "vk"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    channel = telegram(world)
    assert api(world, "other_expert").get(f"{API}/{channel.pk}").status_code == 404
    assert api(world, "other_expert").get(API).status_code == 404
    beta = services.add_channel(world.users["outsider"], world.beta, "vk")
    assert api(world, "owner").get(f"{API}/{beta.pk}").status_code == 404  # not Alpha's


def test_api_patch_validates_and_deactivates(world, api):
    channel = telegram(world)
    bad = api(world, "smm").patch(f"{API}/{channel.pk}", {"slots": [{"weekday": 0, "time": "7"}]})
    assert bad.status_code == 422
    assert "ЧЧ:ММ" in " ".join(bad.json()["error"]["fields"]["slots"])  # Russian, the default
    negative = api(world, "smm").patch(f"{API}/{channel.pk}", {"cadence": {"post": -3}})
    assert negative.status_code == 422  # named down to the format: "cadence.post"
    assert {name.split(".")[0] for name in negative.json()["error"]["fields"]} == {"cadence"}
    done = api(world, "smm").patch(f"{API}/{channel.pk}", {"is_active": False, "slots": MWF})
    assert done.status_code == 200
    assert done.json()["is_active"] is False and done.json()["slots"] == MWF


def test_api_delete_unused_is_204_and_used_is_409(world, api):
    spare = services.add_channel(world.users["owner"], world.alpha, "rutube")
    assert api(world, "smm").delete(f"{API}/{spare.pk}").status_code == 204
    assert not Channel.objects.filter(pk=spare.pk).exists()
    make_item(world)
    used = api(world, "smm").delete(f"{API}/{telegram(world).pk}")
    assert used.status_code == 409
    assert used.json()["error"]["code"] == "conflict"
    assert telegram(world).is_active  # unchanged: deactivating is a PATCH
    assert api(world, "copywriter").delete(f"{API}/{telegram(world).pk}").status_code == 403


def test_api_create_needs_a_known_network(world, api):
    missing = api(world, "smm").post(API, {"name": "Без площадки"})
    assert missing.status_code == 422 and "network" in missing.json()["error"]["fields"]
    unknown = api(world, "smm").post(API, {"network": "myspace"})
    assert unknown.status_code == 422 and "myspace" in unknown.json()["error"]["message"]
    assert api(world, "outsider").post(API, {}).status_code == 404
