"""The content item pages: the plan, the form, an item's page, its actions, media and "my work"."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.conftest import make_user
from tests.content.conftest import make_item, to_review
from zveno.content import collab, services
from zveno.content.models import ContentItem, Media
from zveno.workspaces import services as ws
from zveno.workspaces.roles import JobRole


def tiny_png() -> bytes:
    """A real 1x1 PNG, built by hand so that the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def url(name: str, world, item=None, **kwargs) -> str:
    if item is not None:
        kwargs["item"] = item.pk
    return reverse(f"content:{name}", kwargs={"slug": world.alpha.slug, **kwargs})


def add_designer(world):
    """A designer joins Alpha; the matrix makes them Responsible for visuals."""
    designer = make_user("designer", name="Дина")
    ws.add_member(world.users["owner"], world.alpha, designer, [JobRole.DESIGNER], 20)
    return designer


def form_data(world, **extra) -> dict:
    data = {
        "title": "Как выбрать квартиру в новостройке",
        "format": "post",
        "goal": "leads",
        "planned_at": "2026-11-17T11:00",
        "channel_ids": [str(pk) for pk in world.alpha.channels.values_list("pk", flat=True)],
        "text": "Пять вопросов застройщику.",
    }
    data.update(extra)
    return data


# --- the whole path through the pages ----------------------------------------------------------


def test_an_item_goes_from_the_form_to_approval(world, client):
    designer = add_designer(world)
    users = world.users
    client.force_login(users["smm"])
    response = client.post(url("item_new", world), form_data(world))
    item = ContentItem.objects.get(project=world.alpha, title__startswith="Как выбрать")
    assert response.status_code == 302 and response["Location"] == url("item", world, item)
    # 11:00 in Moscow is 08:00 UTC; one publication per channel.
    assert item.planned_at == dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC)
    assert item.publications.count() == world.alpha.channels.count() == 2
    assert client.post(url("item_move", world, item), {"to": "copy"}).status_code == 302

    client.force_login(users["copywriter"])
    page = client.get(url("item", world, item)).content.decode()
    assert 'value="design"' in page  # the copywriter's one button
    assert client.post(url("item_move", world, item), {"to": "design"}).status_code == 302

    client.force_login(designer)
    png = SimpleUploadedFile("visual.png", tiny_png(), content_type="image/png")
    assert client.post(url("item_media", world, item), {"file": png}).status_code == 302
    media = Media.objects.get(item=item)
    assert media.kind == "image"
    served = client.get(url("media_file", world, media=media.pk))
    assert served.status_code == 200 and b"".join(served.streaming_content) == tiny_png()
    assert client.post(url("item_move", world, item), {"to": "review"}).status_code == 302

    client.force_login(users["smm"])
    page = client.get(url("item", world, item)).content.decode()
    assert url("item_approve", world, item) in page
    assert client.post(url("item_approve", world, item), {"comment": "Ок"}).status_code == 302
    item.refresh_from_db()
    assert item.state == "expert_approval"

    client.force_login(users["expert"])
    page = client.get(url("item", world, item)).content.decode()
    assert url("item_approve", world, item) in page and url("item_edit", world, item) not in page
    assert client.post(url("item_approve", world, item)).status_code == 302
    item.refresh_from_db()
    assert item.state == "approved"
    page = client.get(url("item", world, item)).content.decode()
    assert "Ок" in page and page.count("state-approved") >= 3  # the state and two decisions


def test_the_expert_requests_changes_back_to_design(world, client, item):
    to_review(world, item)
    services.approve(world.users["smm"], item)
    client.force_login(world.users["expert"])
    empty = client.post(url("item_changes", world, item), {"return_to": "design"})
    assert empty.status_code == 400  # a refusal page, not an error
    response = client.post(
        url("item_changes", world, item), {"comment": "Другое фото", "return_to": "design"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.changes_from) == ("changes_requested", "design")
    assert "Другое фото" in client.get(url("item", world, item)).content.decode()


def test_an_advertising_item_without_erid_is_refused_with_400(world, client):
    item = make_item(world, is_ad=True, advertiser="ООО Ромашка")
    to_review(world, item)
    services.approve(world.users["smm"], item)
    client.force_login(world.users["expert"])
    response = client.post(url("item_approve", world, item))
    assert response.status_code == 400
    assert "erid" in response.content.decode()


# --- who may do what ---------------------------------------------------------------------------


def test_a_copywriter_approving_gets_403(world, client, item):
    to_review(world, item)
    client.force_login(world.users["copywriter"])
    assert client.post(url("item_approve", world, item)).status_code == 403
    item.refresh_from_db()
    assert item.state == "review" and not item.approvals.exists()


def test_the_expert_cannot_edit(world, client, item):
    client.force_login(world.users["expert"])
    assert client.get(url("item_edit", world, item)).status_code == 403
    assert client.get(url("item_new", world)).status_code == 403
    assert client.post(url("item_new", world), form_data(world)).status_code == 403
    assert client.get(url("item", world, item)).status_code == 200


def test_an_outsider_gets_404_on_every_route(world, client, item):
    media = collab.attach_media(
        world.users["smm"], item, SimpleUploadedFile("a.png", tiny_png(), "image/png")
    )
    client.force_login(world.users["outsider"])
    for name in ("items", "item_new", "my_work"):
        assert client.get(url(name, world)).status_code == 404, name
    for name in ("item", "item_edit"):
        assert client.get(url(name, world, item)).status_code == 404, name
    for name in ("item_move", "item_approve", "item_changes", "item_comment", "item_media"):
        assert client.post(url(name, world, item), {"to": "copy"}).status_code == 404, name
    assert client.get(url("media_file", world, media=media.pk)).status_code == 404


def test_media_of_another_project_is_404(world, client):
    outsider = world.users["outsider"]
    foreign = services.create_item(outsider, world.beta, title="Чужой", format="post")
    media = collab.attach_media(
        outsider, foreign, SimpleUploadedFile("b.png", tiny_png(), "image/png")
    )
    client.force_login(world.users["smm"])
    assert client.get(url("media_file", world, media=media.pk)).status_code == 404
    other = reverse("content:media_file", kwargs={"slug": "beta", "media": media.pk})
    assert client.get(other).status_code == 404


def test_only_images_and_videos_are_attached(world, client, item):
    client.force_login(world.users["smm"])
    text = SimpleUploadedFile("notes.png", b"just some text", content_type="image/png")
    response = client.post(url("item_media", world, item), {"file": text})
    assert response.status_code == 400
    assert not Media.objects.exists()
    video = SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(16), "video/mp4")
    assert client.post(url("item_media", world, item), {"file": video}).status_code == 302
    assert Media.objects.get().kind == "video"


def test_a_file_over_50_mb_is_refused(world, item):
    upload = SimpleUploadedFile("big.png", tiny_png(), "image/png")
    upload.size = collab.MAX_MEDIA_BYTES + 1
    with pytest.raises(Exception, match="50"):
        collab.attach_media(world.users["smm"], item, upload)


# --- comments ----------------------------------------------------------------------------------


def test_a_mention_counts_only_for_members_of_the_project(world, client, item):
    elena = make_user("elena", name="Елена")
    client.force_login(world.users["smm"])
    client.post(url("item_comment", world, item), {"text": "@elena посмотри, пожалуйста"})
    first = item.comments.get()
    assert list(first.mentions.all()) == []
    ws.add_member(world.users["owner"], world.alpha, elena, [JobRole.COPYWRITER], 10)
    client.post(url("item_comment", world, item), {"text": "@elena и @nobody, гляньте"})
    second = item.comments.exclude(pk=first.pk).get()
    assert list(second.mentions.all()) == [elena]
    assert "@elena" in client.get(url("item", world, item)).content.decode()


def test_the_expert_may_comment_but_an_empty_comment_is_refused(world, client, item):
    client.force_login(world.users["expert"])
    assert client.post(url("item_comment", world, item), {"text": "Согласна"}).status_code == 302
    assert client.post(url("item_comment", world, item), {"text": "  "}).status_code == 400
    assert item.comments.count() == 1


# --- the form's helpers ------------------------------------------------------------------------


def test_the_utm_builder_makes_the_final_link(world, client):
    client.force_login(world.users["smm"])
    data = form_data(
        world, link="https://example.ru/offer?ref=1", utm_source="telegram",
        utm_medium="social", utm_campaign="autumn",
    )  # fmt: skip
    client.post(url("item_new", world), data)
    item = ContentItem.objects.get(title__startswith="Как выбрать")
    assert item.link == (
        "https://example.ru/offer?ref=1&utm_source=telegram&utm_medium=social&utm_campaign=autumn"
    )
    page = client.get(url("item_edit", world, item)).content.decode()
    assert 'value="autumn"' in page


def test_length_warnings_come_live_and_save_nothing(world, client):
    client.force_login(world.users["smm"])
    data = form_data(world, text="а" * 2300, format="post", _warnings="1")
    response = client.post(url("item_new", world), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "2200" in body and "4096" not in body
    assert not ContentItem.objects.exists()
    short = client.post(url("item_new", world), form_data(world, text="коротко", _warnings="1"))
    assert "2200" not in short.content.decode()


# --- the plan and "my work" --------------------------------------------------------------------


def test_the_plan_filters_and_shows_the_current_step(world, client, item):
    other = make_item(world, title="Сторис про ипотеку", format="stories")
    services.transition(world.users["smm"], item, "copy")
    client.force_login(world.users["copywriter"])
    page = client.get(url("items", world)).content.decode()
    assert item.title in page and other.title in page and "Copywriter" in page
    page = client.get(url("items", world), {"state": "copy"}).content.decode()
    assert item.title in page and other.title not in page
    member = world.copywriter_membership.pk
    page = client.get(url("items", world), {"assignee": member}).content.decode()
    assert item.title in page and other.title not in page


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_plan_query_count_does_not_grow(world, client):
    client.force_login(world.users["smm"])
    for n in range(5):
        make_item(world, title=f"Пост {n}", planned_at=dt.datetime(2026, 11, 20, 10 + n % 8))
    few = _count_queries(client, url("items", world))
    for n in range(45):
        make_item(world, title=f"Ещё {n}", planned_at=dt.datetime(2026, 12, 1 + n % 28, 12))
    many = _count_queries(client, url("items", world))
    assert few == many


def test_my_work_lists_overdue_first(world, client):
    late = make_item(world, title="Просроченный пост", planned_at=dt.datetime(2026, 11, 10, 12))
    later = make_item(world, title="Пост на потом", planned_at=dt.datetime(2027, 3, 10, 12))
    for obj in (late, later):
        services.transition(world.users["smm"], obj, "copy")
    client.force_login(world.users["copywriter"])
    page = client.get(url("my_work", world)).content.decode()
    assert page.index("Просроченный пост") < page.index("Пост на потом")
    with translation.override("ru"):  # the page speaks the copywriter's language
        overdue = translation.gettext("Overdue")
    assert page.index(overdue) < page.index("Просроченный пост")
    work = collab.my_work(world.copywriter_membership)
    assert [s.item for s in work.overdue] == [late] and [s.item for s in work.later] == [later]
    # The week is counted in the project's time zone from "now".
    now = dt.datetime(2027, 3, 8, 9, 0, tzinfo=dt.UTC)  # Monday of the "later" item's week
    week = collab.my_work(world.copywriter_membership, now=now)
    assert [s.item for s in week.this_week] == [later]


def test_a_disguised_file_is_stored_and_served_as_what_it_is(world, client, item):
    client.force_login(world.users["smm"])
    sneaky = SimpleUploadedFile("page.html", tiny_png() + b"<script>1</script>", "text/html")
    assert client.post(url("item_media", world, item), {"file": sneaky}).status_code == 302
    media = Media.objects.get()
    assert media.file.name.endswith(".png")
    served = client.get(url("media_file", world, media=media.pk))
    assert served["Content-Type"] == "image/png"
    assert "sandbox" in served["Content-Security-Policy"]
