"""A long import does not lock everybody out: while it checks and stages its rows, other people
write comments, and every one goes through, between its batches, while nothing of the import is
visible yet. Told by events and counts, not by the clock (SQLite, the default; PostgreSQL too)."""

from __future__ import annotations

import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connections

from tests.conftest import build_world
from tests.content.conftest import make_item
from zveno.analytics import imports, presets
from zveno.analytics.models import Post
from zveno.content import collab

ROWS = 12_000


def big_file(rows: int = ROWS) -> bytes:
    header = presets.template_csv(presets.get("zveno_posts"), "en").decode("utf-8-sig")
    lines = [header.splitlines()[0]]
    for n in range(rows):
        day = 1 + n % 28
        lines.append(
            f"{100000 + n};2026-11-{day:02d} 10:00;telegram;;post;photo;;Пост {n};;0;0;5400;"
            f"2026-11-{day:02d} 20:00;1800;{1500 + n % 97};2100;64;9;12;20;;31"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db(transaction=True)
def test_comments_go_through_between_the_batches_of_a_long_import():
    world = build_world()
    item = make_item(world)
    batch = imports.create_import(
        world.users["smm"], world.alpha, ContentFile(big_file(), name="big.csv"),
        preset="zveno_posts", run_now=False, dispatch=False,
    )  # fmt: skip
    staged, resume = threading.Event(), threading.Event()
    outcome = {}

    def progress(phase: str, done: int, total: int) -> None:
        # Called between batches: the import holds no transaction here. It waits (bounded)
        # until the comments below are in, once a batch is staged.
        if phase == "check" and not staged.is_set() and done >= imports.BATCH:
            staged.set()
            resume.wait(timeout=120)

    def run_import():
        try:
            outcome["batch"] = imports.run(batch.pk, progress=progress)
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run_import)
    worker.start()
    errors: list[str] = []

    def comment(text: str) -> None:
        try:
            collab.add_comment(world.users["copywriter"], item, text)
        except Exception as exc:
            errors.append(repr(exc))

    try:
        assert staged.wait(timeout=120), outcome
        for n in range(5):
            comment(f"Между партиями {n}")
        # The comments are in while the import is mid-way: rows staged, none of them visible.
        assert errors == []
        assert item.comments.count() == 5
        assert imports.staged_rows(batch.pk) >= imports.BATCH
        assert not Post.objects.filter(project=world.alpha).exists()
    finally:
        resume.set()
    written = 5
    while worker.is_alive():  # and on until it is done: none of them fails
        comment(f"Комментарий {written}")
        written += 1
        worker.join(timeout=0.05)
    worker.join()
    assert "error" not in outcome, outcome
    assert outcome["batch"].status == "done", outcome["batch"].message
    assert Post.objects.filter(project=world.alpha).count() == ROWS
    assert errors == []
    assert item.comments.count() == written
    assert imports.staged_rows(batch.pk) == 0  # the staging table went with the import
