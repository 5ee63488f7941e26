"""The calendar and the item page next to the tools SMM people know: a new item from a day cell,
cards with their networks' icons and a thumbnail, a preview of the post on Telegram, VK and MAX
(the item page and the approval link), and no "Instagram · Instagram".

Before: no way to start an item from a day, cards with text only, no preview, and a channel
named after its network read twice.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.content.test_item_pages import tiny_png
from tests.content.test_links import expert_waiting_item
from zveno.content import collab, links, previews


def _approval_path(world, item) -> str:
    raw = links.create_approval_link(world.users["smm"], world.alpha, item=item)[1]
    return reverse("content:approval_link", args=[raw])


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_a_day_cell_starts_a_new_item_on_that_day(world, login, item):
    calendar = reverse("content:calendar", args=[world.alpha.slug])
    html = _html(login(world.users["copywriter"]).get(calendar, {"date": "2026-11-10"}))
    new = reverse("content:item_new", args=[world.alpha.slug])
    assert f'href="{new}?date=2026-11-20"' in html
    form = _html(login(world.users["copywriter"]).get(new, {"date": "2026-11-20"}))
    assert 'value="2026-11-20T12:00"' in form
    assert 'class="cal-add"' not in _html(login(world.users["expert"]).get(calendar))


def test_a_card_shows_its_networks_and_its_first_picture(world, login, item):
    media = collab.attach_media(world.users["smm"], item, SimpleUploadedFile("v.png", tiny_png()))
    calendar = reverse("content:calendar", args=[world.alpha.slug])
    html = _html(login(world.users["smm"]).get(calendar, {"date": "2026-11-10"}))
    assert 'class="net-icon net-telegram"' in html and 'class="net-icon net-instagram"' in html
    thumb = reverse("content:media_file", args=[world.alpha.slug, media.pk])
    assert f'class="cal-thumb" src="{thumb}"' in html


def test_a_channel_named_after_its_network_is_named_once(world, login, item):
    client = login(world.users["smm"])
    pages = [
        reverse("content:items", args=[world.alpha.slug]),
        reverse("content:item", args=[world.alpha.slug, item.pk]),
        reverse("content:item_new", args=[world.alpha.slug]),
        reverse("publishing:channels", args=[world.alpha.slug]),
    ]
    for url in pages:
        html = _html(client.get(url))
        for doubled in (
            "Instagram · Instagram",
            "Telegram · Telegram",
            "Instagram</span> <strong>Instagram",
        ):
            assert doubled not in html, (url, doubled)
    named = world.alpha.channels.get(network="telegram")
    named.name = "Риэлтор Марина"
    named.save()
    assert named.label == "Telegram · Риэлтор Марина"
    assert "Telegram · Риэлтор Марина" in _html(client.get(pages[2]))


def test_the_item_page_previews_the_post_for_its_networks(world, login, item):
    item.text = "Как проверить застройщика: " + "подробно. " * 40
    item.save()
    html = _html(login(world.users["copywriter"]).get(
        reverse("content:item", args=[world.alpha.slug, item.pk])
    ))  # fmt: skip
    assert 'class="preview preview-telegram"' in html
    assert "preview-instagram" not in html  # Instagram is not previewed
    found = previews.previews(item, has_image=True)
    assert [p.network for p in found] == ["telegram"]
    assert found[0].limit == 1024 and found[0].over == 0


def test_an_item_on_no_previewed_network_shows_all_three(world, item):
    item.publications.all().delete()
    assert [p.network for p in previews.previews(item, has_image=False)] == [
        "telegram", "vk", "max"
    ]  # fmt: skip
    item.text = "слово " * 100
    vk = previews.previews(item, has_image=False)[1]
    assert vk.folded and vk.shown.endswith("…") and len(vk.shown) <= previews.VK_FOLD + 1


def test_the_approval_link_shows_the_preview_with_the_picture(world, client):
    item = expert_waiting_item(world, planned_at=dt.datetime(2026, 12, 20, 12, 0))
    collab.attach_media(world.users["smm"], item, SimpleUploadedFile("v.png", tiny_png()))
    html = _html(client.get(_approval_path(world, item)))
    assert 'class="preview preview-telegram"' in html
    assert 'class="preview-image" src="/x/m/' in html
