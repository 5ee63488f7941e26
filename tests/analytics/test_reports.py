"""The period report: its figures against an independent computation, and its renderings —
the web page, PDF, XLSX, JSON through the API and the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from tests.analytics.test_report_data import END, PREV_END, PREV_START, START, fill
from zveno.analytics import charts, reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    return fill(world)


def ru(text: str) -> str:
    """The Russian of a msgid (the report's default language)."""
    with translation.override("ru"):
        return _(text)


def interactions(row):
    return row["likes"] + row["comments"] + row["shares"]


def metric(report, key):
    return next(f for f in report.metrics if f.key == key)


def test_key_metrics_equal_the_rows(world, data):
    report = reports.build(world.alpha, START, END, "ru")
    with_reach = [r for r in data.posts if r["reach"] is not None]
    reach = sum(r["reach"] for r in with_reach)
    assert metric(report, "posts").value == 12
    assert metric(report, "reach").value == reach
    assert metric(report, "interactions").value == sum(interactions(r) for r in data.posts)
    err = sum(interactions(r) for r in with_reach) * 100 / reach
    assert metric(report, "err").value == pytest.approx(err, rel=1e-6)
    assert metric(report, "err").formula == "реакции / охват × 100 %"  # the report is in Russian
    assert "Σ" in metric(report, "reach").formula
    # the previous period has the same length and its own figures
    assert (report.previous_start, report.previous_end) == (PREV_START, PREV_END)
    assert metric(report, "posts").previous == 4
    prev_reach = sum(r["reach"] for r in data.previous)
    assert metric(report, "reach").previous == prev_reach
    assert metric(report, "reach").change == pytest.approx(
        round((reach - prev_reach) * 100 / prev_reach, 1)
    )
    leads = metric(report, "leads")
    assert (leads.value, leads.previous) == (14, 3)
    assert leads.change == pytest.approx(366.7)
    assert metric(report, "revenue").value == pytest.approx(200000.50)


def test_funnel_top_posts_mix_and_team(world, data):
    report = reports.build(world.alpha, START, END, "ru")
    reach = sum(r["reach"] for r in data.posts if r["reach"] is not None)
    steps = [(s.step, s.value) for s in report.funnel]
    assert steps == [("reach", reach), ("dialogues", 55), ("leads", 14), ("sales", 3)]
    assert report.funnel[1].conversion == pytest.approx(55 * 100 / reach)
    assert report.funnel[3].conversion == pytest.approx(3 * 100 / 14)

    by_reach = sorted((r for r in data.posts if r["reach"]), key=lambda r: -r["reach"])[:10]
    assert [p.title for p in report.top_by_reach] == [r["title"] for r in by_reach]
    by_err = sorted(
        (r for r in data.posts if r["reach"]), key=lambda r: -interactions(r) / r["reach"]
    )[:10]
    assert [p.title for p in report.top_by_err] == [r["title"] for r in by_err]
    top = report.top_by_err[0]
    assert top.err == pytest.approx(round(interactions(by_err[0]) * 100 / by_err[0]["reach"], 2))

    rubrics = list(world.alpha.rubrics.all())
    mix = {m.rubric: (m.target, m.planned, m.published) for m in report.mix}
    assert mix[rubrics[0].name] == (rubrics[0].target_share, 3, 2)
    assert mix[rubrics[1].name] == (rubrics[1].target_share, 1, 1)  # the cancelled one is out
    assert mix[rubrics[2].name] == (rubrics[2].target_share, 1, 0)
    assert (report.mix_planned, report.mix_published) == (5, 3)
    share = next(m for m in report.mix if m.rubric == rubrics[0].name).planned_share
    assert share == 60.0

    team = report.team
    assert (team.asked, team.answered_on_time, team.on_time_percent) == (3, 1, 33.3)
    assert (team.posts_with_input, team.posts_without_input) == (3, 9)
    assert team.reach_with_input == pytest.approx((1000 + 2200 + 3400) / 3, abs=0.1)
    without = [r["reach"] for r in data.posts if not r["expert"] and r["reach"] is not None]
    assert team.reach_without_input == pytest.approx(sum(without) / len(without), abs=0.1)


def test_goals_and_health_are_in_the_report(world, data):
    report = reports.build(world.alpha, START, END, "ru")
    goal = next(g for g in report.goals if g.name == "Заявки за ноябрь")
    assert goal.current == 14
    assert goal.target == 20
    assert goal.state_label  # translated label of the state
    # Alpha's team has known gaps (the world's health rules find them)
    assert report.health and all(h.title for h in report.health)


def test_an_empty_period_still_builds(world):
    report = reports.build(world.alpha, START, END, "en")
    assert metric(report, "posts").value == 0
    assert report.top_by_reach == []
    assert "No data for the period" in report.charts["funnel"]
    assert reports.to_pdf(report).startswith(b"%PDF")


def test_charts_are_svg_with_their_numbers():
    svg = charts.funnel([("Охват", 1000, None), ("Заявки", 10, 1.0)], title="Воронка")
    assert svg.startswith("<svg") and "DejaVu Sans" in svg and "Охват" in svg and "<rect" in svg
    assert "→ 1,0 %" in svg  # the decimal comma of the active language, as in the tables
    line = charts.line([(START, 5), (END, None)], title="t")
    assert "<circle" in line
    heat = charts.heatmap(["Пн"], ["00–03"], [[3]], title="t")
    assert 'fill-opacity="1.00"' in heat
    assert "&lt;script&gt;" in charts.bar([("<script>", 1)], title="x")


# --- PDF --------------------------------------------------------------------------------------


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _accent_pixels(pdf: bytes, tmp_path: Path) -> int:
    """Pixels, over all pages, in the charts' accent blue (#3f51e0 and its tints); the text
    is never that colour."""
    from PIL import Image

    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "pg")], check=True)
    count = 0
    for png in tmp_path.glob("pg*.png"):
        colours = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 24)
        count += sum(n for n, (r, g, b) in colours if b > 180 and r < 140 and g < 150)
        png.unlink()
    return count


def test_pdf_has_cyrillic_text_and_drawn_charts(world, data, tmp_path):
    report = reports.build(world.alpha, START, END, "ru")
    pdf = reports.to_pdf(report)
    assert pdf.startswith(b"%PDF")
    text = _pdftotext(pdf, tmp_path)
    # Section titles as the Russian catalogue has them (Ключевые показатели, Воронка, …).
    titles = [ru(t) for t in ("Key metrics", "Funnel", "Reach by day", "Top posts",
                              "Content mix", "Team and expert involvement")]  # fmt: skip
    for expected in ("Альфа-канарейка", "Квартира у метро №7", "Заявки за ноябрь", *titles):
        assert expected in text, expected
    # The charts are vector drawings: their bars and lines paint the pages in the accent colour;
    # the same report without its charts has almost none (the title's rule only).
    with_charts = _accent_pixels(pdf, tmp_path)
    report.charts = dict.fromkeys(report.charts, "")
    without = _accent_pixels(reports.to_pdf(report), tmp_path)
    assert with_charts > without + 1000, (with_charts, without)


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_has_one_sheet_per_section_with_numbers(world, data):
    report = reports.build(world.alpha, START, END, "en")
    book = load_workbook(io.BytesIO(reports.to_xlsx(report)))
    assert book.sheetnames == ["Summary", "Goals", "Funnel", "Top posts", "Content mix", "Team"]
    summary = book["Summary"]
    assert summary["A1"].font.bold
    rows = {row[0].value: row for row in summary.iter_rows(min_row=2)}
    reach = sum(r["reach"] for r in data.posts if r["reach"] is not None)
    assert rows["Post reach"][1].value == reach
    assert isinstance(rows["Post reach"][1].value, int | float)
    err = rows["ERR (by reach)"]
    assert err[1].value == pytest.approx(metric(report, "err").value / 100)
    assert "%" in err[1].number_format
    assert rows["Leads"][3].value == pytest.approx(3.667, abs=1e-3)
    assert "%" in rows["Leads"][3].number_format
    funnel = [[c.value for c in row] for row in book["Funnel"].iter_rows(min_row=2)]
    assert funnel[2][:2] == ["Leads", 14]
    assert funnel[2][2] == pytest.approx(14 / 55)
    top = list(book["Top posts"].iter_rows(min_row=2, values_only=True))
    assert len(top) == 20 and top[0][2] == report.top_by_reach[0].title
    assert top[0][4] == report.top_by_reach[0].reach


# --- API --------------------------------------------------------------------------------------

URL = "/api/v1/projects/alpha/reports"


def test_api_json_pdf_xlsx(world, data, api):
    caller = api(world, "copywriter")
    response = caller.get(f"{URL}?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200
    body = response.json()
    assert body["project"] == "Альфа-канарейка" and body["start"] == "2026-11-01"
    figures = {f["key"]: f for f in body["metrics"]}
    assert figures["leads"]["value"] == 14 and figures["posts"]["previous"] == 4
    assert [s["value"] for s in body["funnel"]][1:] == [55, 14, 3]
    assert len(body["top_by_reach"]) == 10
    pdf = caller.get(f"{URL}?from=2026-11-01&to=2026-11-30&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf["Content-Disposition"]
    xlsx = caller.get(f"{URL}?from=2026-11-01&to=2026-11-30&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == ru("Summary")  # Сводка


@pytest.mark.parametrize(
    "query", ["from=2026-13-01&to=2026-11-30", "from=2026-11-30&to=2026-11-01", "to=2026-11-30",
              "from=2026-11-01&to=2026-11-30&format=doc"],
)  # fmt: skip
def test_api_refuses_bad_dates(world, api, query):
    response = api(world, "smm").get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]


def test_api_hides_the_report_from_outsiders(world, api):
    assert api(world, "other_expert").get(f"{URL}?from=2026-11-01&to=2026-11-30").status_code == 404
    assert api(world, "outsider").get(f"{URL}?from=2026-11-01&to=2026-11-30").status_code == 404


# --- CLI --------------------------------------------------------------------------------------


def test_cli_writes_each_format(world, data, tmp_path):
    for fmt in ("pdf", "xlsx", "json"):
        out = tmp_path / f"r.{fmt}"
        call_command(
            "report", "alpha", "--from", "2026-11-01", "--to", "2026-11-30", "--format", fmt,
            "--output", str(out), stderr=io.StringIO(),
        )  # fmt: skip
        body = out.read_bytes()
        if fmt == "pdf":
            assert body.startswith(b"%PDF")
        elif fmt == "xlsx":
            assert load_workbook(io.BytesIO(body))[ru("Summary")]["A2"].value == ru("Posts")
        else:
            assert {f["key"]: f["value"] for f in json.loads(body)["metrics"]}["leads"] == 14


def test_cli_json_to_stdout_and_errors(world, data):
    out = io.StringIO()
    call_command("report", "alpha", "--from", "2026-11-01", "--to", "2026-11-30", stdout=out)
    assert json.loads(out.getvalue())["slug"] == "alpha"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("report", "nope", "--from", "2026-11-01", "--to", "2026-11-30")
    with pytest.raises(CommandError):
        call_command("report", "alpha", "--from", "2026-11-31", "--to", "2026-11-30")


def test_zveno_command_streams_a_pdf(tmp_path):
    """The real `zveno report` entry point, on a database of its own, writes a binary PDF to
    standard output untouched."""
    env = {"ZVENO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    zveno = [sys.executable, "-m", "zveno"]
    setup = subprocess.run([*zveno, "manage", "migrate", "-v", "0"], env=env, capture_output=True)
    if setup.returncode != 0:
        pytest.skip(f"cannot prepare a database here: {setup.stderr[-300:]!r}")
    make = (
        "from zveno.workspaces.models import Project, Workspace;"
        "w=Workspace.objects.create(name='Агентство', slug='ws');"
        "Project.objects.create(workspace=w, name='Проект Ромашка', slug='romashka',"
        "timezone='Europe/Moscow', start_date='2026-11-01')"
    )
    made = subprocess.run([*zveno, "manage", "shell", "-c", make], env=env, capture_output=True)
    assert made.returncode == 0, made.stderr[-500:]
    done = subprocess.run(
        [*zveno, "report", "romashka", "--from", "2026-11-01", "--to", "2026-11-30",
         "--format", "pdf"],
        env=env, capture_output=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith(b"%PDF") and done.stdout.rstrip().endswith(b"%%EOF")
