"""Benchmark: importing 1,000,000 metric rows on PostgreSQL, against a raw COPY of the same file.

Generates a ``zveno_posts`` CSV (one post and one snapshot per row), imports it through
``zveno.analytics.imports.run`` (both passes: every row checked, then all written in one
transaction) and, in the same run, COPYs the same file into an unlogged staging table. Reports
both times, their ratio, rows per second and the process's peak resident memory.

    createdb -h 127.0.0.1 -U postgres zveno_bench_import   # once
    .venv/bin/python bench/import_metrics.py [ROWS]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/zveno_bench_import. Appends a section
to docs/benchmarks.md (runs of fewer than a million rows only print).
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zveno_bench_import"
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def generate(path: Path, rows: int) -> None:
    start = dt.datetime(2025, 1, 1, 9, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Post ID,Published,Network,Format,Reach,Impressions,Likes,Comments,Shares\n")
        for i in range(rows):
            moment = start + dt.timedelta(minutes=3 * i)
            likes = "" if i % 97 == 0 else str(i % 300)  # a few absent counters
            out.write(
                f"{i},{moment:%Y-%m-%d %H:%M},vk,post,{500 + i % 5000},{800 + i % 7000},"
                f"{likes},{i % 40},{i % 25}\n"
            )


def main() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "zveno.config.settings"
    os.environ.setdefault("ZVENO_TESTING", "true")
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", "zveno_bench_import"],
        capture_output=True,
        check=False,
    )  # exists already: fine
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    from zveno.analytics import imports
    from zveno.analytics.models import Import, Post, PostSnapshot
    from zveno.workspaces import services as ws

    if connection.vendor != "postgresql":
        sys.exit("this benchmark is for PostgreSQL (set DATABASE_URL)")
    call_command("migrate", verbosity=0)
    stamp = f"{time.time():.0f}"
    user = get_user_model().objects.create_user(f"bench{stamp}", password="bench-password-1")
    workspace = ws.create_workspace(user, "Bench", slug=f"bench-{stamp}")
    project = ws.create_project(
        user, workspace, name="Bench import", slug=f"bench-{stamp}",
        start_date=dt.date(2025, 1, 1),
    )  # fmt: skip

    folder = Path(tempfile.mkdtemp(prefix="zveno-bench-import-"))
    path = folder / "posts.csv"
    t0 = time.perf_counter()
    generate(path, ROWS)
    size_mb = path.stat().st_size / 1e6
    print(f"generated {ROWS} rows ({size_mb:.0f} MB) in {time.perf_counter() - t0:.1f} s")

    # The raw COPY of the same file into an unlogged staging table.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_staging")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_import_staging (post_id text, published text, "
            "network text, format text, reach bigint, impressions bigint, likes bigint, "
            "comments bigint, shares bigint)"
        )
    raw = connection.connection
    t0 = time.perf_counter()
    with (
        raw.cursor() as cursor,
        path.open("rb") as source,
        cursor.copy("COPY bench_import_staging FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    raw.commit() if not raw.autocommit else None
    copy_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_import_staging")
        assert cursor.fetchone()[0] == ROWS
        cursor.execute("DROP TABLE bench_import_staging")
    print(f"COPY: {copy_s:.1f} s")

    rss_before = rss_mb()
    started = time.perf_counter()
    seen: list[tuple[int, int]] = []

    def progress(phase: str, done: int, total: int) -> None:
        if done % 100_000 == 0 or done == total:
            # The record as others see it: committed by the progress connection.
            stored = Import.objects.get(pk=batch.pk).processed_rows
            seen.append((done, stored))
            print(f"  {phase} {done}/{total} {time.perf_counter() - started:.0f} s", flush=True)

    with path.open("rb") as handle:
        t0 = time.perf_counter()
        batch = imports.create_import(
            user, project, File(handle, name="posts.csv"), preset="zveno_posts",
            run_now=False, dispatch=False,
        )  # fmt: skip
        store_s = time.perf_counter() - t0
    started = time.perf_counter()
    result = imports.run(batch.pk, progress=progress)
    import_s = time.perf_counter() - started
    assert result.status == "done", (result.message, result.errors[:3])
    assert result.created == ROWS
    posts = Post.objects.filter(project=project).count()
    snaps = PostSnapshot.objects.filter(post__project=project).count()
    assert posts == snaps == ROWS, (posts, snaps)
    peak = rss_mb()
    assert seen and seen[0][0] == seen[0][1], f"progress not visible outside: {seen[:3]}"
    print(
        f"import: {import_s:.1f} s; store + count {store_s:.1f} s; "
        f"peak RSS {peak:.0f} MB (before {rss_before:.0f} MB)"
    )

    # A file with one bad row in the middle: nothing is saved.
    bad = folder / "bad.csv"
    bad.write_text(
        "Post ID,Published,Network,Reach\n"
        "x1,2025-01-01 10:00,vk,5\nx2,2025-01-01 11:00,vk,-5\nx3,2025-01-01 12:00,vk,7\n"
    )
    with bad.open("rb") as handle:
        failed = imports.create_import(
            user, project, File(handle, name="bad.csv"), preset="zveno_posts",
        )  # fmt: skip
    assert failed.status == "failed" and failed.errors[0]["row"] == 3, failed.errors
    assert Post.objects.filter(project=project).count() == ROWS

    # Re-import of the same file: every row compared, nothing written.
    with path.open("rb") as handle:
        again = imports.create_import(
            user, project, File(handle, name="posts.csv"), preset="zveno_posts",
            run_now=False, dispatch=False,
        )  # fmt: skip
    t0 = time.perf_counter()
    again = imports.run(again.pk)
    reimport_s = time.perf_counter() - t0
    assert again.status == "done" and again.unchanged == ROWS and again.created == 0
    print(f"re-import (all unchanged): {reimport_s:.1f} s")

    ratio = import_s / copy_s
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    section = f"""
## Import of {ROWS:,} metric rows (PostgreSQL)

`bench/import_metrics.py`, {dt.date.today():%Y-%m-%d}: a generated `zveno_posts` CSV
({size_mb:.0f} MB, one post and one snapshot per row) imported through `imports.run` (on
PostgreSQL every row is checked and written in one pass and one transaction, in batches of
{imports.BATCH} with COPY, progress committed through a second connection),
against `COPY … FROM STDIN` of the same file into an unlogged staging table in the same run.

| what | time | rows/s |
|---|---|---|
| raw COPY into an unlogged table | {copy_s:.1f} s | {ROWS / copy_s:,.0f} |
| Zveno import (check + write) | {import_s:.1f} s | {ROWS / import_s:,.0f} |
| re-import of the same file (all unchanged) | {reimport_s:.1f} s | {ROWS / reimport_s:,.0f} |

Ratio import / COPY: **{ratio:.1f}×**. The import writes two tables (posts with their latest
counters, and snapshots) with constraints and indexes, validates every cell and keeps row-level
errors, where COPY loads text into one unlogged table. Peak resident memory of the process:
{peak:.0f} MB ({rss_before:.0f} MB before the import): the file is streamed and written in
batches, so memory does not grow with the file. Load average during the run: {load}.
"""
    print(section)
    if ROWS >= 1_000_000:  # trial runs with fewer rows leave the document alone
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as doc:
            doc.write(section)


if __name__ == "__main__":
    main()
