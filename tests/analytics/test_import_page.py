"""The imports page: upload, preview, import, progress, templates, access."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.urls import reverse

from tests.analytics.import_helpers import FACEBOOK
from zveno.analytics import imports
from zveno.analytics.models import Import, Post

PAGE = "/p/alpha/analytics/imports/"


def staged_token(html: str) -> str:
    return re.search(r'name="staged" value="([^"]+)"', html).group(1)


def test_facebook_file_through_the_page(world, client):
    client.force_login(world.users["smm"])
    assert client.get(PAGE).status_code == 200
    with FACEBOOK.open("rb") as handle:
        preview = client.post(PAGE, {"file": handle, "preset": "facebook_insights", "year": "2014"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Photo" in html and "31.12.2014" in html  # the newest post, placed on 31 December
    assert "disabled" not in html.split('value="start"')[1].split(">")[0]
    assert Post.objects.count() == 0, "the preview saves nothing"
    token = staged_token(html)
    started = client.post(
        reverse("analytics:import_preview", args=["alpha"]),
        {
            "staged": token,
            "preset": "facebook_insights",
            "year": "2014",
            "channel": "",
            "action": "start",
        },
    )
    batch = Import.objects.get()
    assert started.status_code == 302
    # Done at once: straight to the analytics of the year the file covers.
    posts = Post.objects.filter(project=world.alpha)
    assert posts.count() == 500
    first, last = (
        posts.order_by(o).first().published_at.date() for o in ("published_at", "-published_at")
    )
    assert started["Location"] == f"/p/alpha/analytics/?from={first}&to={last}"
    assert str(last) == "2014-12-31"
    detail = client.get(reverse("analytics:import_detail", args=["alpha", batch.pk])).content
    detail = detail.decode()
    assert "500" in detail and "every 1s" not in detail  # done: no more polling
    listing = client.get(PAGE).content.decode()
    assert FACEBOOK.name in listing


def test_preview_shows_row_errors_and_the_import_button_is_disabled(world, client):
    client.force_login(world.users["smm"])
    bad = ContentFile(b"Published;Network;Reach\n2026-11-02 10:00;vk;-5\n", name="bad.csv")
    html = client.post(PAGE, {"file": bad, "preset": "zveno_posts"}).content.decode()
    assert "Must not be negative." in html or "отрицательн" in html
    assert 'value="start" disabled' in html


def test_generic_mapper_on_the_page(world, client):
    client.force_login(world.users["smm"])
    data = ContentFile("Когда;Сеть;Люди;Лишнее\n2026-11-02 09:00;vk;321;x\n".encode(), name="a.csv")
    html = client.post(PAGE, {"file": data, "preset": "generic_posts"}).content.decode()
    assert 'name="map_0"' in html and 'name="map_3"' in html
    token = staged_token(html)
    url = reverse("analytics:import_preview", args=["alpha"])
    form = {
        "staged": token,
        "preset": "generic_posts",
        "year": "",
        "channel": "",
        "map_0": "published_at",
        "map_1": "network",
        "map_2": "reach",
        "map_3": "",
    }
    previewed = client.post(url, {**form, "action": "preview"}).content.decode()
    assert "321" in previewed and 'value="start" disabled' not in previewed
    started = client.post(url, {**form, "action": "start"})
    assert started.status_code == 302
    assert Post.objects.get(project=world.alpha).latest_reach == 321


def test_a_running_import_polls_its_progress(world, client):
    text = "Post ID,Published,Network,Reach\n" + "".join(
        f"{i},2026-11-02 10:00,vk,{i}\n" for i in range(imports.INLINE_ROWS + 1)
    )
    batch = imports.create_import(
        world.users["smm"],
        world.alpha,
        ContentFile(text.encode(), name="big.csv"),
        preset="zveno_posts",
    )
    client.force_login(world.users["expert"])
    detail = client.get(reverse("analytics:import_detail", args=["alpha", batch.pk]))
    html = detail.content.decode()
    progress_url = reverse("analytics:import_progress", args=["alpha", batch.pk])
    assert 'hx-trigger="every 1s"' in html and progress_url in html
    imports.run(batch.pk)
    partial = client.get(progress_url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and partial["HX-Refresh"] == "true"
    assert "every 1s" not in partial.content.decode()
    assert f"{imports.INLINE_ROWS + 1}" in partial.content.decode()


def test_templates_download_and_import_back_through_the_page(world, client):
    client.force_login(world.users["smm"])
    url = reverse("analytics:import_template", args=["alpha", "zveno_business_days"])
    xlsx = client.get(url)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    csv_file = client.get(url + "?format=csv")
    assert csv_file.content.decode("utf-8-sig").startswith("Дата;Канал;Кампания")
    upload = ContentFile(xlsx.content, name="zveno_business_days.xlsx")
    html = client.post(PAGE, {"file": upload, "preset": "zveno_business_days"}).content.decode()
    started = client.post(
        reverse("analytics:import_preview", args=["alpha"]),
        {"staged": staged_token(html), "preset": "zveno_business_days", "action": "start"},
    )
    assert started.status_code == 302
    assert world.alpha.business_days.get().leads == 5
    assert (
        client.get(reverse("analytics:import_template", args=["alpha", "tgstat"])).status_code
        == 404
    )


def test_access(world, client):
    client.force_login(world.users["copywriter"])
    assert client.get(PAGE).status_code == 200  # may see the list
    with FACEBOOK.open("rb") as handle:
        refused = client.post(PAGE, {"file": handle, "preset": "facebook_insights", "year": "2014"})
    assert refused.status_code == 403
    client.force_login(world.users["other_expert"])
    assert client.get(PAGE).status_code == 404
    assert Import.objects.count() == 0


def test_the_list_has_a_bounded_number_of_queries(world, client, django_assert_max_num_queries):
    for i in range(12):
        Import.objects.create(
            project=world.alpha,
            preset="zveno_posts",
            filename=f"{i}.csv",
            file=f"imports/{i}.csv",
            status="done",
            created_by=world.users["smm"],
        )
    client.force_login(world.users["smm"])
    with django_assert_max_num_queries(20):
        response = client.get(PAGE)
    assert response.content.decode().count("11.csv") == 1
