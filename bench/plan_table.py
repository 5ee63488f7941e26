"""Benchmark: the plan table (the content plan's list page), 500 rows in every state, against
a bare view.

The bare view reads the same rows (date, format, rubric, title, state) in one query and prints
them with a minimal template; the ratio of the two medians, measured interleaved in the same run
on the same database, is what we track (not seconds).

    .venv/bin/python bench/plan_table.py            # SQLite in a temporary data dir
    DATABASE_URL=postgres://.../empty_db .venv/bin/python bench/plan_table.py --write

The script migrates the database it is given (it must be empty) and creates or drops no other;
``--write`` puts the row (dated) into docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROWS = 500  # the table's limit
RUNS = 15


def main() -> None:
    os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "zveno.config.settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("ZVENO_TESTING", "true")  # plain static storage, no collectstatic
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.template import Context, Template
    from django.test import Client
    from month_view import _write

    from zveno.content import services as content
    from zveno.content.models import ContentItem, State, Step
    from zveno.projects import services as projects
    from zveno.workspaces import services as ws
    from zveno.workspaces.models import ProjectMembership
    from zveno.workspaces.roles import JobRole

    call_command("migrate", verbosity=0)
    if get_user_model().objects.exists():
        sys.exit("use an empty database: this script creates its own data")
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    workspace = ws.create_workspace(user, "Bench", slug="bench")
    project = projects.start_project(
        user, workspace, name="Bench", slug="bench", playbook="real_estate",
        networks=["telegram", "instagram"], my_roles=[JobRole.SMM], start_date=dt.date(2026, 11, 1),
    )  # fmt: skip
    channels = list(project.channels.values_list("pk", flat=True))
    content.ensure_rubrics(project)
    rubrics = list(project.rubrics.values_list("code", flat=True))
    formats = ["post", "stories", "reels", "article"]
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    for n in range(ROWS):
        content.create_item(
            user, project, title=f"Публикация {n}", format=formats[n % len(formats)],
            goal="reach", planned_at=start + dt.timedelta(minutes=97 * n), channel_ids=channels,
            rubric=rubrics[n % len(rubrics)] if rubrics else None,
        )  # fmt: skip
    # A plan in work: the rows spread over every state, so the table shows the step each row
    # waits for and who holds it (items start as ideas, with no step to show).
    states = [s for s in State.values if s != State.CANCELLED]
    pks = list(
        ContentItem.objects.filter(project=project).order_by("pk").values_list("pk", flat=True)
    )
    for n, state in enumerate(states):
        ContentItem.objects.filter(pk__in=pks[n :: len(states)]).update(
            state=state, changes_from="copy" if state == State.CHANGES_REQUESTED else ""
        )
    member = ProjectMembership.objects.get(project=project, user=user)
    Step.objects.filter(item__project=project).update(assignee=member)
    client = Client()
    client.force_login(user)
    url = "/p/bench/content/"
    response = client.get(url)
    assert response.status_code == 200 and response.content.count(b"<tr>") > ROWS, "rows missing"

    bare = Template(
        "{% load tz %}{% timezone zone %}<table>{% for i in rows %}<tr><td>"
        "{{ i.planned_at|date:'D d.m' }} {{ i.planned_at|time:'H:i' }}</td><td>{{ i.format }}</td>"
        "<td>{{ i.rubric__name }}</td><td>{{ i.title }}</td><td>{{ i.state }}</td></tr>"
        "{% endfor %}</table>{% endtimezone %}"
    )

    def bare_view() -> str:
        rows = ContentItem.objects.filter(project=project).order_by("planned_at", "pk")
        rows = rows.values("planned_at", "format", "rubric__name", "title", "state")[:ROWS]
        return bare.render(Context({"rows": list(rows), "zone": project.timezone}))

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
        f"| plan table, {ROWS} rows ({dt.date.today().isoformat()}) | {engine} | "
        f"{full * 1000:.0f} ms | {base * 1000:.1f} ms | {full / base:.1f}× | {len(queries)} |"
    )
    print(result)
    if "--write" in sys.argv:
        _write(result)


if __name__ == "__main__":
    main()
