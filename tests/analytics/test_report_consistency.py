"""A report the client can trust: the same figures as the pages, numbers written one way,
networks by their names, the funnel's reach told apart from the posts' reach, and a client
version without the team's internal diagnostics (page, client link, API, command line)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.analytics.test_report_data import END, START, at, fill
from zveno.analytics import presentation, reports, selectors
from zveno.analytics.models import Post
from zveno.analytics.services import upsert_channel_day
from zveno.analytics.views.reports import _query

pytestmark = pytest.mark.django_db
PAGE = "/p/alpha/analytics/reports/"
API = "/api/v1/projects/alpha/reports"
PERIOD = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def data(world):
    filled = fill(world)
    Post.objects.create(
        project=world.alpha, external_id="vk-1", title="Пост во ВКонтакте",
        published_at=at(world.alpha, START, 20), network="vk", latest_reach=400000,
        latest_likes=1800,
    )  # fmt: skip
    return filled


def test_key_metrics_are_the_overview_pages_figures(world, data):
    report = reports.build(world.alpha, START, END, "ru")
    cards = presentation.key_metrics(world.alpha, selectors.Period(START, END, "custom"))
    shown = {c["key"]: c["value"] for c in cards}
    for figure in report.metrics:
        if figure.key in shown:
            assert figure.value == pytest.approx(shown[figure.key]), figure.key


def test_networks_have_their_names_in_page_pdf_and_xlsx(world, data, client, tmp_path):
    client.force_login(world.users["smm"])
    page = client.get(f"{PAGE}?{PERIOD}").content.decode()
    nets = re.findall(r'class="rp-net">([^<]*)<', page)
    assert "ВКонтакте" in nets and "Telegram" in nets and "vk" not in nets
    book = load_workbook(io.BytesIO(client.get(f"{PAGE}report.xlsx?{PERIOD}").content))
    sheet = book.worksheets[3]
    networks = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "ВКонтакте" in networks and "vk" not in networks
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(client.get(f"{PAGE}report.pdf?{PERIOD}").content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "ВКонтакте" in text and not re.search(r"\bvk\b", text)


def test_percentages_are_written_one_way(world, data, client):
    """Russian: a decimal comma everywhere, the tables and the charts alike, one decimal."""
    client.force_login(world.users["smm"])
    page = client.get(f"{PAGE}?{PERIOD}").content.decode()
    percents = re.findall(r"(\d+[.,]\d+)\s%", page)
    assert percents
    assert not [p for p in percents if "." in p], "a decimal point in a Russian report"
    assert {len(p.split(",")[1]) for p in percents} == {1}


def test_the_funnel_reach_is_told_apart_from_the_post_reach(world, data, client):
    upsert_channel_day(world.alpha, world.alpha.channels.first(), START, {"reach": 5000})
    client.force_login(world.users["smm"])
    page = client.get(f"{PAGE}?{PERIOD}").content.decode()
    assert "Охват каналов" in page and "Охват постов" in page
    assert "один человек видит несколько постов" in page


def test_the_mix_says_what_it_counts_next_to_the_posts(world, data, client):
    client.force_login(world.users["smm"])
    page = client.get(f"{PAGE}?{PERIOD}").content.decode()
    assert "Единицы контент-плана: 5 в плане · 3 опубликовано" in page
    assert "13 постов из ключевых показателей опубликованы вне плана" in page


def health_title(world) -> str:
    return reports.build(world.alpha, START, END, "ru").health[0].title


def test_the_client_version_leaves_out_team_health(world, data, client, api):
    title = health_title(world)
    client.force_login(world.users["smm"])
    team = client.get(f"{PAGE}?{PERIOD}").content.decode()
    assert "Здоровье команды" in team and title in team
    chosen = client.get(f"{PAGE}?{PERIOD}&audience=client").content.decode()
    assert "Здоровье команды" not in chosen and title not in chosen
    assert "audience=client" in chosen  # the PDF and XLSX links keep the choice
    assert 'value="client" selected' in chosen

    caller = api(world, "smm")
    body = caller.get(f"{API}?{PERIOD}&audience=client").json()
    assert body["audience"] == "client" and body["health"] == []
    assert caller.get(f"{API}?{PERIOD}").json()["health"]
    assert caller.get(f"{API}?{PERIOD}&audience=boss").status_code == 422
    xlsx = caller.get(f"{API}?{PERIOD}&audience=client&format=xlsx").content
    cells = [c for row in load_workbook(io.BytesIO(xlsx)).worksheets[-1].values for c in row]
    assert title not in " ".join(str(c) for c in cells)


def test_the_client_link_shows_the_client_version(world, data, client):
    title = health_title(world)
    client.force_login(world.users["smm"])
    made = client.post(
        f"{PAGE}links/", {"from": "2026-11-01", "to": "2026-11-30", "days": "30"}
    ).content.decode()
    link = re.search(r"(/r/[^/\"<]+/)", made).group(1)
    client.logout()
    public = client.get(link).content.decode()
    assert "Ключевые показатели" in public and "Здоровье команды" not in public
    assert title not in public


def test_the_command_line_writes_the_client_version(world, data, tmp_path):
    out = io.StringIO()
    call_command(
        "report", "alpha", "--from", "2026-11-01", "--to", "2026-11-30", "--audience", "client",
        stdout=out,
    )  # fmt: skip
    body = json.loads(out.getvalue())
    assert body["audience"] == "client" and body["health"] == []


def test_query_keeps_the_audience():
    assert _query(START, END, "client").endswith("&audience=client")


def test_pdf_pages_render(world, data, client, tmp_path):
    """The client PDF opens and has its pages (looked at as images while building it)."""
    client.force_login(world.users["smm"])
    pdf = client.get(f"{PAGE}report.pdf?{PERIOD}&audience=client").content
    path = Path(tmp_path / "c.pdf")
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Ключевые показатели" in text and "Здоровье команды" not in text
