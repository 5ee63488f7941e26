"""The plan as XLSX and CSV: export, the all-or-nothing import and its row-level report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.content.conftest import make_item
from zveno.content import services
from zveno.content.models import ContentItem
from zveno.publishing import services as publishing
from zveno.workspaces import services as ws

API = "/api/v1/projects/{}/plan"


def plan_of(project) -> list[tuple]:
    rows = []
    for item in ContentItem.objects.filter(project=project).order_by("planned_at", "title"):
        networks = sorted(p.channel.network for p in item.publications.all())
        times = sorted(p.effective_planned_at for p in item.publications.all())
        rubric = item.rubric.code if item.rubric else None
        rows.append(
            (item.title, item.format, rubric, tuple(networks), item.planned_at, tuple(times),
             item.text, item.visual_brief, item.erid, item.link)
        )  # fmt: skip
    return rows


@pytest.fixture
def planned(world):
    """Three items of Alpha: two channels, one channel with its own time, no channel."""
    telegram = world.alpha.channels.get(network="telegram")
    make_item(
        world, title="Как проверить застройщика", rubric="useful", text="Текст; с «кавычками»"
    )
    second = make_item(
        world, title="Ипотека в декабре", format="post", channel_ids=[telegram.pk],
        planned_at=dt.datetime(2026, 11, 18, 9, 30), visual_brief="Фото офиса",
        link="https://example.test/a?utm_source=tg", is_ad=True, erid="2VtzqvXyz",
    )  # fmt: skip
    services.update_publication(
        world.users["smm"], second.publications.get(), planned_at=dt.datetime(2026, 11, 18, 9, 30)
    )
    make_item(world, title="Идея без даты", format="reels", channel_ids=[], planned_at=None)
    return world


@pytest.fixture
def empty(world):
    """A project of the same workspace with the same networks and playbook, and no items."""
    owner = world.users["owner"]
    project = ws.create_project(
        owner, world.workspace_a, name="Пустой", slug="empty", start_date=dt.date(2026, 11, 2),
        niche="real_estate", goal_type="leads", my_roles=["smm"],
    )  # fmt: skip
    publishing.set_networks(owner, project, ["telegram", "instagram"])
    from zveno.playbooks import services as playbooks

    playbooks.choose_playbook(owner, project, "real_estate")
    return project


def upload(content: bytes, name: str) -> dict:
    return {"file": SimpleUploadedFile(name, content)}


def send(caller, url: str, content: bytes, name: str):
    return caller.post(url, upload(content, name), content_type=MULTIPART_CONTENT)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_then_import_into_an_empty_project_gives_the_same_plan(planned, empty, api, kind):
    world = planned
    exported = api(world, "smm").get(f"{API.format('alpha')}.{kind}")
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    response = send(
        api(world, "owner"), f"{API.format('empty')}/import", exported.content, f"plan.{kind}"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["created"], body["errors"], body["missing_rubrics"]) == (3, [], [])
    assert plan_of(empty) == plan_of(world.alpha)
    assert len(plan_of(empty)) == 3


def test_xlsx_has_the_columns_in_order_and_local_times(planned, api):
    content = api(planned, "smm").get(f"{API.format('alpha')}.xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:3] == ("Дата", "Время", "Соцсеть")
    assert len(lines[0]) == 14 and lines[0][-2:] == ("erid", "Ссылка")
    first = lines[1]
    assert first[0] == "17.11.2026" and first[1] == "11:00"  # Moscow time, as planned
    assert len(lines) == 1 + 2 + 1 + 1  # two channels, one, none


def test_english_headers_for_an_english_reader(planned, client):
    user = planned.users["smm"]
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    body = client.get(reverse("content:plan_csv", args=["alpha"])).content.decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("Date,Time,Network,Format,Rubric,Goal,Topic,Text,Visual brief")
    assert lines[1].startswith("17.11.2026,11:00,Instagram,Carousel,")


def bad_file(world) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Дата", "Время", "Соцсеть", "Формат", "Рубрика", "Цель", "Тема", "Текст",
                  "ТЗ на визуал", "Статус", "Ответственный", "Согласующий", "erid", "Ссылка",
                  "Реклама"])  # fmt: skip
    good = ["20.11.2026", "10:00", "Telegram", "Пост", "", "", "Хорошая строка", "Текст"]
    sheet.append(good)  # row 2
    sheet.append(["31.02.2026", "10:00", "Telegram", "post", "", "", "Плохая дата"])  # row 3
    sheet.append([*good[:6], "Другая хорошая"])  # row 4
    sheet.append(["21.11.2026", "10:00", "Myspace", "post", "", "", "Нет такой сети"])  # row 5
    sheet.append(["22.11.2026", "10:00", "Telegram", "post", "", "", ""])  # row 6: no topic
    sheet.append(["23.11.2026", "12:00", "Instagram", "reels", "", "", "Ещё хорошая"])  # row 7
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_three_bad_rows_are_reported_and_nothing_is_imported(world, api):
    before = ContentItem.objects.count()
    response = send(api(world, "smm"), f"{API.format('alpha')}/import", bad_file(world), "p.xlsx")
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert body["created"] == 0
    assert sorted((e["row"], e["column"]) for e in body["errors"]) == [
        (3, "date"), (5, "network"), (6, "topic"),
    ]  # fmt: skip
    assert all(e["message"] for e in body["errors"])
    assert ContentItem.objects.count() == before


def test_csv_row_errors_unknown_format_rubric_and_ad_without_erid(world, api):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Date", "Time", "Network", "Format", "Rubric", "Topic", "Advertising", "erid"])
    writer.writerow(["20.11.2026", "10:00", "telegram", "poem", "", "A", "", ""])
    writer.writerow(["20.11.2026", "10:00", "telegram", "post", "no such", "B", "", ""])
    writer.writerow(["20.11.2026", "25:99", "telegram", "post", "", "C", "", ""])
    writer.writerow(["20.11.2026", "10:00", "telegram", "post", "", "D", "yes", ""])
    writer.writerow(["20.11.2026", "10:00", "telegram", "post", "", "E", "yes", "abc"])
    data = buffer.getvalue().encode("utf-8-sig")
    response = send(api(world, "smm"), f"{API.format('alpha')}/import", data, "p.csv")
    errors = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert errors == {(2, "format"), (3, "rubric"), (4, "time"), (5, "erid")}
    assert not ContentItem.objects.filter(project=world.alpha).exists()


def test_a_file_without_required_columns(world, api):
    data = b"Topic\nA\n"
    response = send(api(world, "smm"), f"{API.format('alpha')}/import", data, "p.csv")
    columns = {e["column"] for e in response.json()["errors"] if e["row"] == 1}
    assert columns == {"date", "network", "format"}


def test_the_expert_cannot_import_and_outsiders_see_nothing(planned, api):
    data = api(planned, "smm").get(f"{API.format('alpha')}.csv").content
    url = f"{API.format('alpha')}/import"
    assert send(api(planned, "expert"), url, data, "p.csv").status_code == 403
    assert send(api(planned, "other_expert"), url, data, "p.csv").status_code == 404
    assert api(planned, "outsider").get(f"{API.format('alpha')}.xlsx").status_code == 404
    assert api(planned, "expert").get(f"{API.format('alpha')}.xlsx").status_code == 200


def test_import_page_reports_rows_and_saves_nothing(world, login):
    client = login(world.users["smm"])
    url = reverse("content:plan_import", args=["alpha"])
    assert client.get(url).status_code == 200
    response = client.post(url, upload(bad_file(world), "p.xlsx"))
    assert response.status_code == 422
    assert [p["row"] for p in response.context["report"].errors] == [3, 5, 6]
    assert not ContentItem.objects.filter(project=world.alpha).exists()


def test_import_page_is_refused_to_the_expert_and_hidden_from_outsiders(world, login):
    url = reverse("content:plan_import", args=["alpha"])
    assert login(world.users["expert"]).get(url).status_code == 403
    assert login(world.users["outsider"]).get(url).status_code == 404
    assert (
        login(world.users["outsider"]).get(reverse("content:plan_xlsx", args=["alpha"])).status_code
        == 404
    )
