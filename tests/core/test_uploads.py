"""Files from outside: the expert's answer link takes only images and videos of at most 50 MB,
request bodies over ZVENO_MAX_UPLOAD_MB are refused before they are read, and a big import is
counted by its job, not during the upload."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.analytics.import_helpers import FACEBOOK
from tests.content.test_requests import make_request
from zveno.analytics import imports
from zveno.analytics.imports import job
from zveno.analytics.models import Import, Post
from zveno.content import links
from zveno.content.models import AnswerFile, RequestStatus

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.parametrize(
    "name, content",
    [("page.html", b"<html><script>alert(1)</script></html>"),
     ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
     ("tool.exe", b"MZ\x90\x00" + b"\0" * 64)],
)  # fmt: skip
def test_the_answer_link_refuses_what_item_media_refuses(world, client, name, content):
    found = make_request(world)
    url = _path(links.request_link(found))
    response = client.post(url, {"text": "Вот", "files": [SimpleUploadedFile(name, content)]})
    assert response.status_code == 200
    assert "не изображение, не видео" in response.content.decode()
    found.refresh_from_db()
    assert found.status == RequestStatus.OPEN and not AnswerFile.objects.exists()


def test_the_answer_link_refuses_a_file_over_50_mb(world, client):
    found = make_request(world)
    big = SimpleUploadedFile("big.png", PNG + b"\0" * (50 * 1024 * 1024))
    response = client.post(_path(links.request_link(found)), {"text": "x", "files": [big]})
    assert response.status_code == 200
    found.refresh_from_db()
    assert found.status == RequestStatus.OPEN and not AnswerFile.objects.exists()


def test_the_answer_link_keeps_an_image_under_its_sniffed_type(world, client):
    found = make_request(world)
    photo = SimpleUploadedFile("photo.html", PNG)  # a PNG whatever the name says
    response = client.post(_path(links.request_link(found)), {"text": "x", "files": [photo]})
    assert response.status_code == 302
    stored = AnswerFile.objects.get()
    assert stored.file.name.endswith(".png")


def test_a_body_over_the_cap_is_refused_before_it_is_read(world, client, api, settings):
    settings.ZVENO_MAX_UPLOAD_MB = 1
    body = b"x" * (2 * 1024 * 1024)
    response = client.generic(
        "POST", "/api/v1/projects/alpha/imports", body,
        content_type="multipart/form-data; boundary=zz",
        headers={"Authorization": f"Bearer {world.tokens['smm']}"},
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    # Only the declared length counts: a 1 GB claim is refused without waiting for the bytes.
    page = client.generic(
        "POST", reverse("content:request_link", args=["x"]), b"",
        content_type="multipart/form-data; boundary=zz", CONTENT_LENGTH=str(1024**3),
    )  # fmt: skip
    assert page.status_code == 413
    assert not Import.objects.exists()


def test_a_large_import_is_counted_by_its_job_not_in_the_upload(world, monkeypatch):
    monkeypatch.setattr(job, "COUNT_INLINE_BYTES", 1024)  # this file is "large" here
    data = FACEBOOK.read_bytes()
    batch = imports.create_import(
        world.users["smm"], world.alpha, ContentFile(data, name="fb.csv"),
        preset="facebook_insights", year="2014", dispatch=False,
    )  # fmt: skip
    assert batch.status == "queued" and batch.total_rows == 0  # not counted during the upload
    done = imports.run(batch.pk)
    assert done.status == "done", done.message
    assert (
        done.total_rows == done.processed_rows == Post.objects.filter(project=world.alpha).count()
    )
    assert done.total_rows > 400


def test_a_large_empty_import_fails_in_its_job_with_a_message(world, monkeypatch):
    monkeypatch.setattr(job, "COUNT_INLINE_BYTES", 10)
    header = FACEBOOK.read_text(encoding="utf-8").splitlines()[0] + "\n"
    batch = imports.create_import(
        world.users["smm"], world.alpha, ContentFile(header.encode(), name="fb.csv"),
        preset="facebook_insights", year="2014", dispatch=False,
    )  # fmt: skip
    done = imports.run(batch.pk)
    assert done.status == "failed"
    assert "no rows" in done.message or "нет строк" in done.message, done.message
