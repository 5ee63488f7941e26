"""Benchmark: the analytics summary API over 30 days against raw SQL over the same posts.

``GET /api/v1/projects/<slug>/analytics/summary?from=…&to=…`` (bearer token) against a bare
Django view in the same process and middleware that runs raw SQL over the same ``Post`` rows (the
sums in one statement, the per-post interactions and reach for ERR's mean and median in another)
and answers the same figures with ``JsonResponse``; interleaved request by request, medians. The
two answers are checked to agree on posts, reach and interactions. Also the overview page, which
reads the goals' stored evaluations, against the same page's figures with every goal evaluated
live (``goals.evaluate``), interleaved.

    .venv/bin/python bench/summary_api.py [POSTS]                 # SQLite in a temporary data dir
    DATABASE_URL=postgres://.../empty_db .venv/bin/python bench/summary_api.py --write

The script migrates the database it is given (it must be empty) and creates or drops no other.
``--write`` puts the rows into docs/benchmarks.md.
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
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
POSTS = int(ARGS[0]) if ARGS else 3000
RUNS = int(os.environ.get("BENCH_RUNS", "21"))
GOALS = 6
urlpatterns: list = []
SECTION = "## Analytics summary API and stored goal state"

RAW_SUMS = """
SELECT COUNT(*), SUM(latest_views), SUM(latest_reach), SUM(latest_impressions), SUM(latest_likes),
       SUM(latest_comments), SUM(latest_shares), SUM(latest_saves)
FROM analytics_post WHERE project_id = %s AND published_at >= %s AND published_at < %s
"""
RAW_ROWS = """
SELECT latest_likes, latest_comments, latest_shares, latest_reach
FROM analytics_post WHERE project_id = %s AND published_at >= %s AND published_at < %s
"""


def main() -> None:
    write = "--write" in sys.argv
    os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "zveno.config.settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("ZVENO_TESTING", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import clear_url_caches, include, path

    from zveno.accounts import services as accounts

    call_command("migrate", verbosity=0)
    if get_user_model().objects.exists():
        sys.exit("use an empty database: this script creates its own data")
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    _made, token = accounts.create_api_token(user, "bench")
    project, start, end = _data(user)
    urlpatterns[:] = [
        path("bare/summary/<slug:slug>", _bare_summary),
        path("bare/overview/<slug:slug>/", _live_overview),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    client = Client()
    client.force_login(user)
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    query = f"?from={start}&to={end}"
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    a = client.get(f"/api/v1/projects/{project.slug}/analytics/summary{query}", **api).json()
    b = client.get(f"/bare/summary/{project.slug}{query}")
    assert b.status_code == 200, b.content[:2000]
    b = b.json()
    for key in ("posts", "reach", "interactions"):
        assert float(a[key] or 0) == float(b[key] or 0), (key, a, b)
    rows = []
    pairs = [
        (
            f"summary API, 30 days, {a['posts']:,} posts",
            (f"/api/v1/projects/{project.slug}/analytics/summary{query}", api),
            (f"/bare/summary/{project.slug}{query}", {}),
            "raw SQL over the same `latest_*` rows, JsonResponse",
        ),
        (
            f"analytics overview, {GOALS} goals",
            (f"/p/{project.slug}/analytics/", {}),
            (f"/bare/overview/{project.slug}/", {}),
            "the same page, every goal evaluated live",
        ),
    ]
    for what, subject, bare, baseline in pairs:
        full, base, queries = _interleaved(client, connection, subject, bare)
        row = (
            f"| {what} | {engine} | {full * 1000:.1f} ms | {baseline} | {base * 1000:.1f} ms | "
            f"{full / base:.2f}× | {queries} |"
        )
        print(row, flush=True)
        rows.append(row)
    if write:
        _write(rows)


def _data(user):
    from zveno.analytics.models import Goal, GoalStatus, Post
    from zveno.analytics.services import goals as goal_services
    from zveno.core.timezones import today_in
    from zveno.publishing import services as publishing
    from zveno.workspaces import services as ws
    from zveno.workspaces.roles import JobRole

    workspace = ws.create_workspace(user, "Агентство", slug="agency")
    project = ws.create_project(
        user, workspace, name="Клиент", slug="client", start_date=dt.date(2026, 10, 1),
        my_roles=[JobRole.SMM],
    )  # fmt: skip
    publishing.set_networks(user, project, ["telegram", "vk"])
    channel = project.channels.first()
    end = today_in(project.timezone)
    start = end - dt.timedelta(days=29)
    first = dt.datetime.combine(start - dt.timedelta(days=60), dt.time(6), dt.UTC)
    step = (90 * 86400) // POSTS
    posts = (
        Post(
            project=project,
            channel=channel,
            network="telegram",
            external_id=f"p{n}",
            published_at=first + dt.timedelta(seconds=n * step),
            format="post",
            latest_views=400 + n % 600,
            latest_reach=200 + n % 400,
            latest_likes=n % 30,
            latest_comments=n % 7,
            latest_shares=None if n % 10 == 0 else n % 5,
        )
        for n in range(POSTS)
    )
    Post.objects.bulk_create(posts)
    metrics = ["reach", "post_reach", "er_reach", "followers", "dialogues", "leads"]
    for k in range(GOALS):
        goal_services.create_goal(
            user, project, name=f"Цель {k}", metric=metrics[k % len(metrics)], kind="absolute",
            target=500, window_days=30, starts_on=start, activate=True,
        )  # fmt: skip
    assert Goal.objects.filter(project=project, status=GoalStatus.ACTIVE).count() == GOALS
    return project, start, end


def _interleaved(client, connection, subject, bare):
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    client.get(subject[0], **subject[1])
    client.get(bare[0], **bare[1])
    with connection.execute_wrapper(count):
        client.get(subject[0], **subject[1])
    full, base = [], []
    for _ in range(RUNS):
        for times, (url, extra) in ((full, subject), (base, bare)):
            began = time.perf_counter()
            response = client.get(url, **extra)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
    return statistics.median(full), statistics.median(base), len(queries)


# --- the baselines ----------------------------------------------------------------------------


def _bare_summary(request, slug):
    from django.db import connection
    from django.http import JsonResponse

    from zveno.analytics.summary import local_bounds
    from zveno.workspaces import access
    from zveno.workspaces.roles import Capability

    project = access.grant_for(request.user, slug, Capability.VIEW_ANALYTICS).project
    pk = project.pk
    start = dt.date.fromisoformat(request.GET["from"])
    end = dt.date.fromisoformat(request.GET["to"])
    adapt = connection.ops.adapt_datetimefield_value
    lo, hi = (adapt(b) for b in local_bounds(project, start, end))
    with connection.cursor() as cursor:
        cursor.execute(RAW_SUMS, [pk, lo, hi])
        posts, views, reach, impressions, likes, comments, shares, saves = cursor.fetchone()
        cursor.execute(RAW_ROWS, [pk, lo, hi])
        per_post = cursor.fetchall()
    rates, inter_sum, reach_sum = [], 0, 0
    for li, co, sh, re in per_post:
        if li is None and co is None and sh is None:
            continue
        total = (li or 0) + (co or 0) + (sh or 0)
        if re:
            rates.append(total * 100 / re)
            inter_sum += total
            reach_sum += re
    interactions = sum((li or 0) + (co or 0) + (sh or 0) for li, co, sh, _re in per_post)
    return JsonResponse({
        "posts": posts, "views": views, "reach": reach, "impressions": impressions,
        "likes": likes, "comments": comments, "shares": shares, "saves": saves,
        "interactions": interactions,
        "err": {"ratio_of_sums": inter_sum * 100 / reach_sum if reach_sum else None,
                "mean": statistics.fmean(rates) if rates else None,
                "median": statistics.median(rates) if rates else None},
    })  # fmt: skip


def _live_overview(request, slug):
    """The overview page as it was: every active goal evaluated on each view."""
    from unittest import mock

    from zveno.analytics import goals
    from zveno.analytics.views.overview import overview

    def live(project, today=None):
        active = project.goals.filter(status="active").select_related("project")
        return [(goal, goals.evaluate(goal, today)) for goal in active]

    with mock.patch.object(goals, "for_project", live):
        return overview(request, slug)


def _write(rows: list[str]) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    day = os.environ.get("BENCH_DATE") or dt.date.today().isoformat()
    head = [
        SECTION,
        "",
        "`bench/summary_api.py`: the summary API against raw SQL over the same `Post.latest_*`",
        "rows answered by a bare Django view (same process, middleware and client), and the",
        "overview page reading the goals' stored evaluations against the same page evaluating",
        "every goal live; interleaved, medians. Queries: the subject's.",
        "",
        "| what | database | Zveno | baseline | baseline time | ratio | queries | date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines = text.splitlines()
    if SECTION not in lines:
        lines += ["", *head]
    start = lines.index(SECTION)
    end = start + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    section = lines[start:end]
    while section and not section[-1].strip():
        section.pop()
    for row in rows:
        key = [row.split("|")[1].split(",")[0], row.split("|")[2]]
        section = [
            line for line in section
            if not line.startswith("| ") or [line.split("|")[1].split(",")[0],
                                              line.split("|")[2]] != key
        ]  # fmt: skip
        section.append(f"{row} {day} |")
    lines[start:end] = section + ([""] if end < len(lines) else [])
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
