"""Uploaded media served by Zveno itself, safely: behind the access check for members, through
signed expiring addresses on the login-free approval page, and through the API.

Before: the approval page pointed its pictures at ``/media/…``, which nothing served (404), so the
expert saw no visual; the API had no way to add media to an item.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.content.test_item_pages import tiny_png
from tests.content.test_links import _path, expert_waiting_item
from zveno.content import collab, links, media_rules
from zveno.content.models import Media

IMG = re.compile(r'<img src="([^"]+)"')


def _approval_path(world, item) -> str:
    raw = links.create_approval_link(world.users["smm"], world.alpha, item=item)[1]
    return reverse("content:approval_link", args=[raw])


def _png(name="visual.png"):
    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_approval_page_shows_the_visual_to_the_expert_without_a_login(world, client):
    item = expert_waiting_item(world)
    collab.attach_media(world.users["smm"], item, _png())
    page = client.get(_approval_path(world, item))
    sources = IMG.findall(page.content.decode())
    assert len(sources) == 1 and not sources[0].startswith("/media/")

    picture = client.get(sources[0])  # nobody is logged in

    assert picture.status_code == 200 and _body(picture) == tiny_png()
    assert picture["Content-Type"] == "image/png"
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in picture.get("Content-Disposition", "")


def test_a_signed_address_expires_and_cannot_be_forged(world, client, clock, item):
    media = collab.attach_media(world.users["smm"], item, _png())
    address = links.media_url(media)
    assert client.get(address).status_code == 200
    other = collab.attach_media(world.users["smm"], item, _png("other.png"))
    forged = address.replace(f"/{media.pk}.", f"/{other.pk}.")
    assert client.get(forged).status_code == 404
    clock.shift(links.MEDIA_MAX_AGE + dt.timedelta(minutes=1))
    assert client.get(address).status_code == 404


def test_the_storage_folder_is_never_listed_or_served_directly(world, client, login, item):
    media = collab.attach_media(world.users["smm"], item, _png())
    login(world.users["smm"])
    for address in ("/media/", "/media/content/", f"/media/{media.file.name}"):
        assert client.get(address).status_code == 404, address


def test_members_get_the_file_anyone_else_gets_nothing(world, client, login, item):
    media = collab.attach_media(world.users["smm"], item, _png())
    address = reverse("content:media_file", args=[world.alpha.slug, media.pk])
    assert client.get(address).status_code == 302  # a visitor is sent to log in
    login(world.users["outsider"])
    assert client.get(address).status_code == 404
    login(world.users["expert"])
    served = client.get(address)
    assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"


def test_a_file_that_is_not_an_image_is_downloaded_never_shown(world, client, login, item):
    video = SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypisom" + bytes(64), "video/mp4")
    media = collab.attach_media(world.users["smm"], item, video)
    login(world.users["smm"])
    served = client.get(reverse("content:media_file", args=[world.alpha.slug, media.pk]))
    assert served["Content-Type"] == "video/mp4"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"


# --- the API -----------------------------------------------------------------------------------


def _media_api(item) -> str:
    return f"/api/v1/projects/alpha/items/{item.pk}/media"


def test_the_api_uploads_and_lists_media_whose_url_opens_for_whoever_sees_the_item(
    world, api, client, item
):
    headers = {"Authorization": f"Bearer {world.tokens['copywriter']}"}
    created = client.post(_media_api(item), {"file": _png()}, headers=headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "image" and body["name"].endswith(".png")
    assert body["content_type"] == "image/png" and body["size"] == len(tiny_png())

    listed = api(world, "expert").get(_media_api(item))
    assert [m["id"] for m in listed.json()] == [body["id"]]
    url = _path(listed.json()[0]["url"])
    expert = {"Authorization": f"Bearer {world.tokens['expert']}"}
    assert _body(client.get(url, headers=expert)) == tiny_png()
    stranger = {"Authorization": f"Bearer {world.tokens['outsider']}"}
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(url, headers={"Authorization": "Bearer zv_wrong"}).status_code == 302


def test_the_api_refuses_what_is_not_allowed_with_reasons(world, api, client, item):
    def post(persona, upload):
        headers = {"Authorization": f"Bearer {world.tokens[persona]}"}
        return client.post(_media_api(item), {"file": upload} if upload else {}, headers=headers)

    text = SimpleUploadedFile("notes.txt", b"plain words", "text/plain")
    refused = post("smm", text)
    assert refused.status_code == 422 and refused.json()["error"]["fields"]["file"]
    assert post("smm", None).status_code == 422
    assert post("expert", _png()).status_code == 403
    assert post("outsider", _png()).status_code == 404
    assert api(world, "outsider").get(_media_api(item)).status_code == 404
    assert not Media.objects.exists()


# --- the rules, shared with the expert's answer files -------------------------------------------


def test_check_upload_tells_the_type_by_content_and_names_it_so():
    checked = media_rules.check_upload(SimpleUploadedFile("x.html", tiny_png(), "text/html"))
    assert (checked.kind, checked.name) == ("image", "x.png")
    pdf = SimpleUploadedFile("brief.pdf", b"%PDF-1.7\n" + bytes(32), "application/pdf")
    with pytest.raises(ValidationError):
        media_rules.check_upload(pdf)  # an item's media: images and videos only
    assert media_rules.check_upload(pdf, kinds=media_rules.EVERY_KIND).name == "brief.pdf"
    big = SimpleUploadedFile("big.png", tiny_png(), "image/png")
    with pytest.raises(ValidationError) as refused:
        media_rules.check_upload(big, max_bytes=10, field="files")
    assert "files" in refused.value.message_dict


def test_an_item_of_another_project_has_no_media_here(world, api):
    from zveno.content import services

    channel = world.beta.channels.create(network="telegram", name="B")
    other = services.create_item(
        world.users["outsider"], world.beta, title="B", format="post",
        planned_at=dt.datetime(2026, 12, 10, 12), channel_ids=[channel.pk],
    )  # fmt: skip
    assert api(world, "smm").get(_media_api(other)).status_code == 404
