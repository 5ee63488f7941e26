"""An import whose process is killed (SIGKILL) while it stages its rows, or in the middle of its
swap, leaves no row visible; the sweep queues it again and drops what it staged; the next run
imports every row once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.analytics.test_import_concurrency import big_file
from tests.conftest import build_world
from tests.core.helpers import ROOT, child_env, database_url_for_children, wait_for
from zveno.analytics import imports
from zveno.analytics.models import Import, Post, PostSnapshot

ROWS = 12_000

# The import run by a process of its own; with "swap" it kills itself with SIGKILL inside the
# swap, with the posts inserted (uncommitted): on SQLite before their snapshots, on PostgreSQL
# (where one statement inserts both) right after them, before the import is marked done.
CHILD = """
import os, signal, sys, django
django.setup()
from zveno.analytics import imports
from zveno.analytics.imports import writing
from zveno.analytics.models import Post


def then_die(write, when):
    def wrapped(*args):
        result = write(*args)
        if when(*args):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    return wrapped


if sys.argv[2] == "swap":
    writing._insert = then_die(writing._insert, lambda cursor, model, *rest: model is Post)
    writing._insert_posts_and_snapshots = then_die(
        writing._insert_posts_and_snapshots, lambda *args: True
    )
imports.run(int(sys.argv[1]))
"""


def start(batch: Import, when: str) -> subprocess.Popen:
    env = child_env(
        DATABASE_URL=database_url_for_children(), DJANGO_SETTINGS_MODULE="zveno.config.settings"
    )
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(batch.pk), when], env=env, cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip


def nothing_visible(project) -> bool:
    return (
        not Post.objects.filter(project=project).exists()
        and not PostSnapshot.objects.filter(post__project=project).exists()
    )


def sweep_after_death(batch: Import) -> None:
    Import.objects.filter(pk=batch.pk).update(started_at=timezone.now() - dt.timedelta(minutes=1))
    assert imports.sweep() == 1  # its claim died with it: queued again at once
    assert Import.objects.get(pk=batch.pk).status == "queued"
    assert imports.staged_rows(batch.pk) == 0  # and its staging dropped


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_leaves_no_row_and_runs_again_in_full():
    world = build_world()
    batch = imports.create_import(
        world.users["smm"], world.alpha, ContentFile(big_file(ROWS), name="big.csv"),
        preset="zveno_posts", run_now=False, dispatch=False,
    )  # fmt: skip

    # 1. Killed while it checks and stages (a batch or more is staged).
    child = start(batch, "stage")
    try:
        wait_for(lambda: imports.staged_rows(batch.pk) >= imports.BATCH or child.poll() is not None,
                 timeout=120, interval=0.01, what="a staged batch")  # fmt: skip
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert Import.objects.get(pk=batch.pk).status == "running"
    assert imports.staged_rows(batch.pk) >= imports.BATCH  # left behind, invisible
    assert nothing_visible(world.alpha)
    sweep_after_death(batch)

    # 2. Killed inside the swap, with the posts inserted and their snapshots not yet.
    child = start(batch, "swap")
    assert child.wait(timeout=300) == -signal.SIGKILL
    assert Import.objects.get(pk=batch.pk).status == "running"
    assert imports.staged_rows(batch.pk) == ROWS
    assert nothing_visible(world.alpha)
    sweep_after_death(batch)

    # 3. Left alone, it imports every row once.
    done = imports.run(batch.pk)
    assert (done.status, done.created, done.updated) == ("done", ROWS, 0), done.message
    assert Post.objects.filter(project=world.alpha).count() == ROWS
    assert PostSnapshot.objects.filter(post__project=world.alpha).count() == ROWS
    assert imports.staged_rows(batch.pk) == 0
