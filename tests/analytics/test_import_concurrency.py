"""A long import does not lock everybody out: while it runs in a thread, other people write
comments, and none of them gets an error or waits for the whole import (SQLite, the default)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections

from tests.conftest import build_world
from tests.content.conftest import make_item
from zveno.analytics import imports, presets
from zveno.analytics.models import Post
from zveno.content import collab

ROWS = 12_000


def _big_file() -> bytes:
    header = presets.template_csv(presets.get("zveno_posts"), "en").decode("utf-8-sig")
    head = header.splitlines()[0]
    lines = [head]
    for n in range(ROWS):
        day = 1 + n % 28
        lines.append(
            f"{100000 + n};2026-11-{day:02d} 10:00;telegram;;post;photo;;Пост {n};;0;0;5400;"
            f"2026-11-{day:02d} 20:00;1800;{1500 + n % 97};2100;64;9;12;20;;31"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db(transaction=True)
def test_comments_go_through_while_a_long_import_writes():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writers do not share one lock")
    world = build_world()
    item = make_item(world)
    batch = imports.create_import(
        world.users["smm"], world.alpha, ContentFile(_big_file(), name="big.csv"),
        preset="zveno_posts", run_now=False, dispatch=False,
    )  # fmt: skip
    outcome = {}

    def run_import():
        try:
            outcome["batch"] = imports.run(batch.pk)
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run_import)
    worker.start()
    waits, errors = [], []
    while worker.is_alive():
        started = time.monotonic()
        try:
            collab.add_comment(world.users["copywriter"], item, f"Комментарий {len(waits)}")
        except Exception as exc:
            errors.append(repr(exc))
        waits.append(time.monotonic() - started)
        time.sleep(0.05)
    worker.join()
    assert "error" not in outcome, outcome
    assert outcome["batch"].status == "done", outcome["batch"].message
    assert Post.objects.filter(project=world.alpha).count() == ROWS
    assert errors == []
    assert len(waits) >= 5  # comments were really written while the import ran
    assert item.comments.count() == len(waits)
    # Nobody waited for the whole import: only for its final, write-only transaction (about
    # 40 % of the import here; 75 % when the file was parsed inside the transaction too).
    assert max(waits) < 0.6 * outcome_seconds(outcome), (max(waits), outcome_seconds(outcome))


def outcome_seconds(outcome) -> float:
    found = outcome["batch"]
    return (found.finished_at - found.started_at).total_seconds()
