"""A plan import reads and checks its file outside any transaction: while it parses, someone in
another workspace comments, and the comment goes through (on SQLite it would wait for the lock
and fail with "database is locked" if parsing held it). Told by events, not by the clock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.conftest import build_world
from zveno.content import collab, services, sheets
from zveno.content.models import ContentItem

ROWS = 300


def plan_file(rows: int = ROWS) -> bytes:
    """A Russian spreadsheet's CSV, saved by Excel in cp1251."""
    lines = ["Дата;Время;Соцсеть;Формат;Рубрика;Цель;Тема;Текст"]
    for n in range(rows):
        lines.append(f"{1 + n % 28:02d}.12.2026;10:00;Telegram;Пост;;;Тема {n};Текст {n}")
    return ("\n".join(lines) + "\n").encode("cp1251")


@pytest.mark.django_db(transaction=True)
def test_another_workspace_comments_while_a_plan_is_being_parsed(monkeypatch):
    world = build_world()
    other = services.create_item(world.users["outsider"], world.beta, title="Чужой", format="post")
    parsing, resume = threading.Event(), threading.Event()
    outcome: dict = {}
    parse = sheets._parse

    def paused_parse(parser, table):
        parsing.set()  # the file is read; the rows are about to be checked
        resume.wait(timeout=60)
        return parse(parser, table)

    monkeypatch.setattr(sheets, "_parse", paused_parse)

    def run_import():
        try:
            outcome["report"] = sheets.import_plan(
                world.users["copywriter"], world.alpha, plan_file(), "plan.csv"
            )
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    before = ContentItem.objects.filter(project=world.alpha).count()
    worker = threading.Thread(target=run_import)
    worker.start()
    errors: list[str] = []
    try:
        assert parsing.wait(timeout=60), outcome
        if connection.vendor == "sqlite":  # a held lock fails in a second, not in twenty
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 1000")
        try:
            collab.add_comment(world.users["outsider"], other, "Пока идёт импорт")
        except Exception as exc:
            errors.append(repr(exc))
        assert errors == []
        assert other.comments.count() == 1
        assert ContentItem.objects.filter(project=world.alpha).count() == before  # nothing yet
    finally:
        resume.set()
        worker.join(timeout=120)
    assert "error" not in outcome, outcome
    report = outcome["report"]
    assert (report.created, report.errors) == (ROWS, [])
    assert ContentItem.objects.filter(project=world.alpha).count() == before + ROWS
    item = ContentItem.objects.get(project=world.alpha, title="Тема 7")
    assert item.text == "Текст 7" and item.publications.count() == 1
    assert item.steps.count() == 4 and item.activities.filter(verb="created").exists()
