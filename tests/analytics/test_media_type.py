"""A post's media type (photo, video, link, text, album) is its own dimension beside the
format: the Facebook file's Type fills it, Zveno's template reads it, the summary API and the
content page group by it."""

from __future__ import annotations

from collections import Counter

from django.core.files.base import ContentFile

from tests.analytics.import_helpers import FACEBOOK, api_upload, facebook_rows
from zveno.analytics.models import Post

FACEBOOK_TYPES = {"Photo": "photo", "Status": "text", "Link": "link", "Video": "video"}
SUMMARY = "/api/v1/projects/alpha/analytics/summary"


def test_facebook_type_becomes_the_media_type_beside_the_format(world, client, api):
    response = api_upload(
        client, world.tokens["smm"], FACEBOOK, preset="facebook_insights", year="2014"
    )
    assert response.status_code == 201 and response.json()["status"] == "done"
    expected = Counter(FACEBOOK_TYPES[r["Type"]] for r in facebook_rows())
    stored = Counter(Post.objects.values_list("media_type", flat=True))
    assert stored == expected
    # The format stays the coarser post/video split; both dimensions are kept.
    assert set(Post.objects.values_list("format", flat=True)) == {"post", "video"}

    groups = api(world, "smm").get(f"{SUMMARY}?from=2014-01-01&to=2014-12-31&group_by=media_type")
    assert groups.status_code == 200, groups.content
    by_key = {g["key"]: g for g in groups.json()}
    assert {k: g["posts"] for k, g in by_key.items()} == dict(expected)
    assert by_key["photo"]["label"] == "Фото" and by_key["text"]["label"] == "Текст"
    reach = sum(
        int(r["Lifetime Post Total Reach"])
        for r in facebook_rows()
        if r["Type"] == "Video" and r["Lifetime Post Total Reach"]
    )
    assert by_key["video"]["reach"] == reach


def test_the_template_reads_a_media_type_by_name_and_refuses_an_unknown_one(world, client):
    client.force_login(world.users["smm"])
    good = "Дата публикации;Сеть;Тип медиа;Охват\n2026-11-02 10:00;telegram;Альбом;10\n"
    html = client.post(
        "/p/alpha/analytics/imports/",
        {"file": ContentFile(good.encode(), name="a.csv"), "preset": "zveno_posts"},
    ).content.decode()
    assert 'value="start" disabled' not in html
    bad = good.replace("Альбом", "Голограмма")
    html = client.post(
        "/p/alpha/analytics/imports/",
        {"file": ContentFile(bad.encode(), name="a.csv"), "preset": "zveno_posts"},
    ).content.decode()
    assert "Неизвестный тип медиа: Голограмма" in html


def test_the_content_page_groups_by_media_type(world, client, api):
    api_upload(client, world.tokens["smm"], FACEBOOK, preset="facebook_insights", year="2014")
    client.force_login(world.users["smm"])
    html = client.get("/p/alpha/analytics/content/?from=2014-01-01&to=2014-12-31").content.decode()
    assert "По типу медиа" in html
    csv = client.get("/p/alpha/analytics/chart/media_type.csv?from=2014-01-01&to=2014-12-31")
    assert csv.status_code == 200 and "Фото" in csv.content.decode("utf-8-sig")
