"""Editing one publication's own time and text on the item page (htmx inline form)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from tests.content.conftest import PLANNED, make_item, to_review
from zveno.content import services
from zveno.content.models import Activity

HX = {"HX-Request": "true"}


@pytest.fixture
def item(world):
    return make_item(world)


@pytest.fixture
def pub(world, item):
    return item.publications.get(channel__network="instagram")


def edit_url(world, item, pub) -> str:
    return reverse("content:publication_edit", args=[world.alpha.slug, item.pk, pub.channel_id])


def test_the_item_page_offers_the_inline_editor_to_editors_only(world, item, pub, login):
    page = reverse("content:item", args=[world.alpha.slug, item.pk])
    body = login(world.users["copywriter"]).get(page).content.decode()
    assert edit_url(world, item, pub) in body and 'id="pub-' in body
    assert edit_url(world, item, pub) not in login(world.users["expert"]).get(page).content.decode()


def test_the_form_opens_in_place_and_saves_time_and_text(world, item, pub, login):
    client = login(world.users["copywriter"])
    form = client.get(edit_url(world, item, pub), headers=HX)
    assert form.status_code == 200
    html = form.content.decode()
    assert html.lstrip().startswith("<li") and 'name="planned_at"' in html
    assert "<html" not in html  # a fragment for htmx
    saved = client.post(
        edit_url(world, item, pub),
        {"planned_at": "2026-11-18T19:30", "text": "Короткая версия для Instagram"},
        headers=HX,
    )
    assert saved.status_code == 200
    row = saved.content.decode()
    assert "18.11.2026 19:30" in row and "Короткая версия для Instagram" in row
    pub.refresh_from_db()
    zone = zoneinfo.ZoneInfo(world.alpha.timezone)
    assert pub.planned_at == dt.datetime(2026, 11, 18, 19, 30, tzinfo=zone)
    assert pub.text == "Короткая версия для Instagram"
    log = Activity.objects.filter(item=item, verb="publication_updated").get()
    assert log.actor == world.users["copywriter"] and log.data["channel_id"] == pub.channel_id
    other = item.publications.exclude(pk=pub.pk).get()
    assert other.planned_at is None and other.text == ""  # the other channel is untouched


def test_empty_fields_fall_back_to_the_item(world, item, pub, login):
    services.update_publication(
        world.users["smm"], pub, planned_at=dt.datetime(2026, 11, 20, 9, 0), text="Своё"
    )
    client = login(world.users["smm"])
    client.post(edit_url(world, item, pub), {"planned_at": "", "text": ""}, headers=HX)
    pub.refresh_from_db()
    assert pub.planned_at is None and pub.text == ""
    assert pub.effective_planned_at == item.planned_at
    page = client.get(reverse("content:item", args=[world.alpha.slug, item.pk])).content.decode()
    assert PLANNED.strftime("%d.%m.%Y %H:%M") in page


def test_length_warning_for_the_publication_s_own_text(world, item, pub, login):
    client = login(world.users["smm"])
    long_text = "а" * 2300  # Instagram's caption limit is 2200
    preview = client.post(
        edit_url(world, item, pub), {"_warnings": "1", "text": long_text}, headers=HX
    )
    body = preview.content.decode()
    assert "2300" in body and "2200" in body
    assert f'id="pub-warnings-{pub.channel_id}"' in body  # replaces the right block
    short = client.post(
        edit_url(world, item, pub), {"_warnings": "1", "text": "Кратко"}, headers=HX
    )
    assert "2200" not in short.content.decode()
    assert not item.publications.exclude(text="").exists()  # a preview saves nothing
    saved = client.post(
        edit_url(world, item, pub), {"planned_at": "", "text": long_text}, headers=HX
    )
    assert "2200" in saved.content.decode()
    page = client.get(reverse("content:item", args=[world.alpha.slug, item.pk])).content.decode()
    assert "2300" in page and "2200" in page


def test_without_javascript_the_form_is_a_page_and_saving_redirects(world, item, pub, login):
    client = login(world.users["smm"])
    page = client.get(edit_url(world, item, pub))
    assert page.status_code == 200 and "<html" in page.content.decode()
    done = client.post(edit_url(world, item, pub), {"planned_at": "2026-11-19T08:15", "text": ""})
    assert done.status_code == 302
    assert done["Location"] == reverse("content:item", args=[world.alpha.slug, item.pk])


def test_a_bad_time_is_shown_on_the_form(world, item, pub, login):
    response = login(world.users["smm"]).post(
        edit_url(world, item, pub), {"planned_at": "завтра", "text": "x"}, headers=HX
    )
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    pub.refresh_from_db()
    assert pub.text == ""


def test_the_expert_cannot_and_other_projects_do_not_see(world, item, pub, login):
    form = {"planned_at": "2026-11-18T19:30", "text": "Эксперт правит"}
    assert login(world.users["expert"]).post(edit_url(world, item, pub), form).status_code == 403
    assert login(world.users["other_expert"]).get(edit_url(world, item, pub)).status_code == 404
    pub.refresh_from_db()
    assert pub.text == ""


def test_a_published_item_s_publication_cannot_be_edited(world, pub, login):
    item = pub.item
    to_review(world, item)
    services.approve(world.users["smm"], item)
    services.approve(world.users["expert"], item)
    services.transition(world.users["smm"], item, "scheduled")
    services.transition(world.users["smm"], item, "published")
    client = login(world.users["smm"])
    form = client.get(edit_url(world, item, pub), headers=HX).content.decode()
    assert 'name="text"' not in form
    refused = client.post(edit_url(world, item, pub), {"text": "Поздно"}, headers=HX)
    assert refused.status_code == 200 and 'name="text"' not in refused.content.decode()
    pub.refresh_from_db()
    assert pub.text == ""


def test_the_api_patches_a_publication_too(world, api):
    item = make_item(world)
    pub = item.publications.get(channel__network="telegram")
    url = f"/api/v1/projects/alpha/items/{item.pk}/publications/{pub.pk}"
    done = api(world, "copywriter").patch(url, {"planned_at": "2026-11-18T19:30:00", "text": "ТГ"})
    assert done.status_code == 200
    row = next(p for p in done.json()["publications"] if p["id"] == pub.pk)
    assert row["text"] == "ТГ" and row["planned_at"].startswith("2026-11-18T16:30")
    assert api(world, "expert").patch(url, {"text": "нет"}).status_code == 403
