"""A plan moves between projects: its own export, imported into a project that lacks its
rubrics and channels, is offered (page) or told (API ``create_missing=true``) to create them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from tests.content.test_sheets import API, planned  # noqa: F401 - the fixture
from zveno.content.models import ContentItem

PAGE = "/p/alpha-two/plan/import/"


def exported(world, api, kind="xlsx") -> bytes:
    response = api(world, "smm").get(f"{API.format('alpha')}.{kind}")
    assert response.status_code == 200
    return response.content


def plan_of(project) -> list[tuple]:
    rows = []
    for item in ContentItem.objects.filter(project=project).order_by("planned_at", "title"):
        networks = sorted(p.channel.network for p in item.publications.all())
        rubric = item.rubric.name if item.rubric else None
        rows.append((item.title, item.format, rubric, tuple(networks), item.text, item.erid))
    return rows


def send(caller, content: bytes, query: str = "", **form):
    return caller.post(
        f"{API.format('alpha-two')}/import{query}",
        {"file": SimpleUploadedFile("plan.xlsx", content), **form},
        content_type=MULTIPART_CONTENT,
    )


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_api_names_what_is_missing_then_creates_it(planned, api, kind):  # noqa: F811
    world = planned
    target = world.alpha2
    assert not target.channels.exists() and not target.rubrics.exists()
    content = exported(world, api, kind)
    refused = send(api(world, "owner"), content)
    assert refused.status_code == 422
    body = refused.json()
    assert body["created"] == 0
    assert body["missing_networks"] == ["telegram", "instagram"] or set(
        body["missing_networks"]
    ) == {"telegram", "instagram"}
    assert body["missing_rubrics"] == [world.alpha.rubrics.get(code="useful").name]
    assert not target.channels.exists() and not target.rubrics.exists()

    done = send(api(world, "owner"), content, create_missing="true")
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["created"] == 3 and body["errors"] == []
    assert {c.network for c in target.channels.all()} == {"telegram", "instagram"}
    assert body["created_rubrics"] == [world.alpha.rubrics.get(code="useful").name]
    assert plan_of(target) == plan_of(world.alpha)


def test_the_query_string_flag_works_too(planned, api):  # noqa: F811
    done = send(api(planned, "owner"), exported(planned, api), "?create_missing=true")
    assert done.status_code == 201 and done.json()["created"] == 3


def test_creating_needs_someone_who_manages_the_project(world, api):
    """The copywriter of Alpha may import into Alpha but may not create its rubrics."""
    content = "Дата;Соцсеть;Формат;Рубрика;Тема\n20.11.2026;Telegram;Пост;Новая рубрика;Тема\n"
    response = api(world, "copywriter").post(
        f"{API.format('alpha')}/import",
        {
            "file": SimpleUploadedFile("plan.csv", content.encode()),
            "create_missing": "true",
        },
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 422, response.content
    assert response.json()["missing_rubrics"] == ["Новая рубрика"]
    assert "управляет проектом" in response.json()["errors"][0]["message"]
    assert not world.alpha.rubrics.filter(name="Новая рубрика").exists()


def test_the_page_offers_to_create_them(planned, api, client):  # noqa: F811
    world = planned
    client.force_login(world.users["owner"])
    content = exported(world, api)
    page = client.post(PAGE, {"file": SimpleUploadedFile("plan.xlsx", content)})
    html = page.content.decode()
    assert page.status_code == 422
    assert "Создать их и импортировать план" in html
    assert "Telegram" in html and world.alpha.rubrics.get(code="useful").name in html
    token = re.search(r'name="staged" value="([^"]+)"', html).group(1)
    done = client.post(PAGE, {"staged": token})
    assert done.status_code == 302
    assert plan_of(world.alpha2) == plan_of(world.alpha)
    shown = client.get(done["Location"]).content.decode()
    assert "Создано единиц: 3" in shown or "3" in shown
