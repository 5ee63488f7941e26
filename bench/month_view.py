"""Benchmark: the calendar's month view with 1,000 items, against a bare Django view.

The bare view renders the same rows from one query with a minimal template; the ratio of the two
medians, measured in the same run on the same database, is what we track (not seconds).

    .venv/bin/python bench/month_view.py            # SQLite in a temporary data dir
    DATABASE_URL=postgres://.../empty_db .venv/bin/python bench/month_view.py --write

Subject and baseline run interleaved. The script migrates the database it is given (it must be
empty) and creates or drops no other; ``--write`` puts the row (dated) into docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITEMS = 1_000
RUNS = 15


def main() -> None:
    os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "zveno.config.settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("ZVENO_TESTING", "true")  # plain static storage, no collectstatic
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.template import Context, Template
    from django.test import Client

    from zveno.content import services as content
    from zveno.content.models import ContentItem
    from zveno.projects import services as projects
    from zveno.workspaces import services as ws
    from zveno.workspaces.roles import JobRole

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    if get_user_model().objects.exists():
        sys.exit("use an empty database: this script creates its own data")

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    workspace = ws.create_workspace(user, "Bench", slug="bench")
    project = projects.start_project(
        user, workspace, name="Bench", slug="bench", playbook="real_estate",
        networks=["telegram", "instagram"], my_roles=[JobRole.SMM], start_date=dt.date(2026, 11, 1),
    )  # fmt: skip
    channels = list(project.channels.values_list("pk", flat=True))
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    for n in range(ITEMS):
        content.create_item(
            user, project, title=f"Публикация {n}", format="post", goal="reach",
            planned_at=start + dt.timedelta(minutes=43 * n), channel_ids=channels,
        )  # fmt: skip
    client = Client()
    client.force_login(user)
    url = "/p/bench/calendar/?view=month&date=2026-12-15"
    assert client.get(url).status_code == 200

    bare = Template(
        "<ul>{% for i in items %}<li>{{ i.planned_at|date:'j H:i' }} {{ i.title }} "
        "{{ i.state }}</li>{% endfor %}</ul>"
    )
    month = (dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))

    def bare_view() -> str:
        rows = ContentItem.objects.filter(project=project, planned_at__range=month).values(
            "title", "planned_at", "state"
        )
        return bare.render(Context({"items": list(rows)}))

    def timed(fn) -> float:
        began = time.perf_counter()
        fn()
        return time.perf_counter() - began

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    full_times, base_times = [], []
    for _ in range(RUNS):  # interleaved: both see the same machine load
        full_times.append(timed(lambda: client.get(url)))
        base_times.append(timed(bare_view))
    full, base = statistics.median(full_times), statistics.median(base_times)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    result = (
        f"| calendar month view, {ITEMS} items ({dt.date.today().isoformat()}) | {engine} | "
        f"{full * 1000:.0f} ms | {base * 1000:.1f} ms | {full / base:.1f}× | {len(queries)} |"
    )
    print(result)
    if "--write" in sys.argv:
        _write(result)


def _write(row: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    header = (
        "# Benchmarks\n\n"
        "Ratios measured in one run on the same machine and database; seconds are context.\n"
        "Run the scripts in `bench/` to refresh a row.\n\n"
        "| what | database | Zveno | bare Django, one query | ratio | queries |\n"
        "|---|---|---|---|---|---|\n"
    )
    lines = path.read_text().splitlines() if path.exists() else header.splitlines()
    key = row.split("|")[1:3]
    lines = [line for line in lines if line.split("|")[1:3] != key]
    # The row goes at the end of the first table; other benchmarks have sections below it.
    end = next((n for n, line in enumerate(lines) if line.startswith("|")), len(lines))
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    lines.insert(end, row)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
