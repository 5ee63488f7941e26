"""Benchmark: one collection pass over a project's VK communities against a bare loop doing the
same work — the same API requests to the same local VK fake and the same rows written into the
same tables (posts, their snapshots, the posts' latest figures, the channels' days).

Each run starts from empty analytics tables, so both sides do a first pass: pick up every post
on the walls (30 days), read their counters (`wall.getById`, 100 a call) and reach
(`stats.getPostReach`, 30 a call), write one snapshot per post, and the channel's day
(`groups.getById` + `stats.get`). The two sides alternate, RUNS times; the ratio of the medians is
what we track. Requests are counted on the fake: Zveno's against the bare loop's (the minimum).

    .venv/bin/python bench/collection.py                 # SQLite in a temporary data dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zveno_bench_collect \
        .venv/bin/python bench/collection.py

The PostgreSQL database is created afresh. Writes (or replaces) its row in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHANNELS = 3
POSTS = int(sys.argv[1]) if len(sys.argv) > 1 else 300  # per channel
RUNS = 5
SECTION = "## Collection: a first pass over a project's VK communities"

os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "zveno.config.settings"
os.environ.setdefault("ZVENO_TESTING", "true")


def fresh_postgres() -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    fresh_postgres()

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from tests.fakes.vk import FakeVk  # noqa: E402

MSK = dt.timezone(dt.timedelta(hours=3))


def setup(fake: FakeVk):
    from django.contrib.auth import get_user_model

    from zveno.projects import services as projects
    from zveno.publishing import services as publishing
    from zveno.workspaces import services as ws
    from zveno.workspaces.roles import JobRole

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    workspace = ws.create_workspace(user, "Bench", slug="bench")
    project = projects.start_project(
        user, workspace, name="Bench", slug="bench", playbook="real_estate", networks=[],
        my_roles=[JobRole.SMM], start_date=dt.date(2026, 11, 1),
    )  # fmt: skip
    now = time.time()
    channels = []
    for n in range(CHANNELS):
        gid, token = 1000 + n, f"bench-token-{n}"
        fake.add_group(gid, f"Сообщество {n}")
        fake.add_token(token, manages={gid: 3})
        for p in range(POSTS):  # spread over the last 29 days
            fake.add_post(gid, f"Пост {n}-{p}: новостройки и ипотека", date=now - 3600 - p * 8000)
        channel = publishing.add_channel(user, project, "vk", f"ВК {n}", str(gid))
        channels.append(publishing.connect_channel(user, channel, {"access_token": token}))
    return project, channels


def clear(project) -> None:
    from zveno.analytics.models import ChannelDay, Collection, Post

    with transaction.atomic():
        Post.objects.filter(project=project).delete()  # snapshots cascade
        ChannelDay.objects.filter(project=project).delete()
        Collection.objects.filter(project=project).delete()


def zveno_pass(project) -> None:
    from zveno.analytics import collection

    rows = collection.collect_project(project)
    assert all(r.status == "ok" for r in rows), [(r.status, r.message) for r in rows]


# --- the bare loop: the same requests, the same rows, raw SQL -----------------------------------


def bare_pass(project, channels, base_url: str) -> None:
    now = timezone.now()
    since = now - dt.timedelta(days=30)
    for channel in channels:
        from zveno.core import crypto

        token = crypto.decrypt(channel.credentials)["access_token"]
        gid = int(channel.handle)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=30, headers=auth) as http:

            def call(method, **params):
                data = {k: str(v) for k, v in params.items()}
                data["v"] = "5.199"
                reply = http.post(f"{base_url}/{method}", data=data)
                return reply.json()["response"]

            wall, offset = [], 0
            while True:
                items = call("wall.get", owner_id=-gid, count=100, offset=offset)["items"]
                wall += [i for i in items if i["date"] >= since.timestamp()]
                if len(items) < 100 or items[-1]["date"] < since.timestamp():
                    break
                offset += 100
            keys = [f"-{gid}_{i['id']}" for i in wall]
            counters, reach = {}, {}
            for start in range(0, len(keys), 100):
                for item in call("wall.getById", posts=",".join(keys[start : start + 100]))[
                    "items"
                ]:
                    counters[item["id"]] = item
            ids = [i["id"] for i in wall]
            for start in range(0, len(ids), 30):
                chunk = ",".join(str(i) for i in ids[start : start + 30])
                for row in call("stats.getPostReach", owner_id=-gid, post_ids=chunk):
                    reach[row["post_id"]] = row
            group = call("groups.getById", group_id=gid, fields="members_count")["groups"][0]
            day = timezone.localtime(now, MSK).date()
            begin = dt.datetime.combine(day, dt.time(), MSK)
            periods = call(
                "stats.get", group_id=gid, timestamp_from=int(begin.timestamp()),
                timestamp_to=int(begin.timestamp()) + 86399, interval="day",
                stats_groups="visitors,reach,activity",
            )  # fmt: skip
        _write_bare(project, channel, wall, counters, reach, group, periods, day, now)


def _write_bare(project, channel, wall, counters, reach, group, periods, day, now) -> None:
    posts, snaps = [], []
    for item in wall:
        c, r = counters[item["id"]], reach.get(item["id"], {})
        figures = (
            c["views"]["count"], r.get("reach_total"), c["likes"]["count"],
            c["comments"]["count"], c["reposts"]["count"], r.get("links"),
        )  # fmt: skip
        key = f"-{int(channel.handle)}_{item['id']}"
        posts.append((
            project.pk, channel.pk, f"vk:{key}", key,
            dt.datetime.fromtimestamp(item["date"], dt.UTC), "vk", "post", "", "",
            item["text"][:120], f"https://vk.com/wall{key}", False, False, "connector", now,
            *figures,
        ))  # fmt: skip
        snaps.append((key, figures))
    period = periods[0] if periods else {}
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO analytics_post (project_id, channel_id, external_id, network_id, "
            "published_at, network, format, media_type, rubric, title, url, is_promoted, "
            "has_expert_input, source, last_captured_at, latest_views, latest_reach, "
            "latest_likes, latest_comments, latest_shares, latest_link_clicks) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            posts,
        )
        cur.execute("SELECT network_id, id FROM analytics_post WHERE channel_id = %s", [channel.pk])
        ids = dict(cur.fetchall())
        cur.executemany(
            "INSERT INTO analytics_postsnapshot (post_id, captured_at, views, reach, likes, "
            "comments, shares, link_clicks, source) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(ids[key], now, *figures, "connector") for key, figures in snaps],
        )
        cur.execute(
            "INSERT INTO analytics_channelday (project_id, channel_id, date, followers, reach, "
            "impressions, profile_visits, gained, lost, source) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                project.pk, channel.pk, day, group.get("members_count"),
                (period.get("reach") or {}).get("reach"),
                (period.get("visitors") or {}).get("views"),
                (period.get("visitors") or {}).get("visitors"),
                (period.get("activity") or {}).get("subscribed"),
                (period.get("activity") or {}).get("unsubscribed"),
                "connector",
            ],
        )  # fmt: skip


def rows(project) -> tuple[int, int, int]:
    from zveno.analytics.models import ChannelDay, Post, PostSnapshot

    return (
        Post.objects.filter(project=project).count(),
        PostSnapshot.objects.filter(post__project=project).count(),
        ChannelDay.objects.filter(project=project).count(),
    )


def main() -> None:
    settings.ZVENO_VK_MIN_INTERVAL = 0  # the fake has no limits here: measure the work, not pacing
    settings.PUBLISHING_INTERVALS = {}
    fake = FakeVk(limits=False)
    fake.start()
    try:
        settings.ZVENO_VK_API_URL = f"{fake.url}/method"
        project, channels = setup(fake)
        times = {"zveno": [], "bare": []}
        calls = {}
        for run in range(RUNS):
            order = ("zveno", "bare") if run % 2 == 0 else ("bare", "zveno")
            for side in order:
                clear(project)
                before = fake.calls.total()
                started = time.perf_counter()
                if side == "zveno":
                    zveno_pass(project)
                else:
                    bare_pass(project, channels, f"{fake.url}/method")
                times[side].append(time.perf_counter() - started)
                calls[side] = fake.calls.total() - before
                assert rows(project) == (CHANNELS * POSTS, CHANNELS * POSTS, CHANNELS), rows(
                    project
                )
    finally:
        fake.stop()
    zveno, bare = statistics.median(times["zveno"]), statistics.median(times["bare"])
    minimum = CHANNELS * (POSTS // 100 + 1 + math.ceil(POSTS / 100) + math.ceil(POSTS / 30) + 2)
    ratio = zveno / bare
    print(f"{connection.vendor}: zveno {zveno * 1000:.0f} ms, bare {bare * 1000:.0f} ms, "
          f"ratio {ratio:.2f}x; requests zveno {calls['zveno']}, bare {calls['bare']}, "
          f"minimum {minimum}")  # fmt: skip
    write(connection.vendor, zveno, bare, ratio, calls, minimum)


def write(vendor, zveno, bare, ratio, calls, minimum) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    header = (
        f"{SECTION}\n\n`bench/collection.py`: {CHANNELS} communities × {POSTS} posts on the local "
        "VK fake (no limits, no pacing: the work is measured, not VK's 3 calls a second). Each run "
        "starts from empty tables; Zveno's pass (pick-up, matching, one snapshot per post, "
        "`latest_*`, the channel's day, its `Collection` row) against a bare loop with httpx and "
        "raw `executemany` writing the same rows into the same tables; alternating, medians of "
        f"{RUNS}.\n\n| date | database | Zveno | bare loop | ratio | requests Zveno / bare / "
        "minimum |\n|---|---|---|---|---|---|\n"
    )
    row = (
        f"| {dt.date.today().isoformat()} | {vendor} | {zveno * 1000:.0f} ms | "
        f"{bare * 1000:.0f} ms | {ratio:.2f}× | {calls['zveno']} / {calls['bare']} / {minimum} |\n"
    )
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        body = text[start : end if end != -1 else len(text)]
        kept = [line + "\n" for line in body.splitlines() if line.startswith("| 20")]
        kept = [line for line in kept if f"| {vendor} |" not in line]
        new = header + "".join(kept) + row
        text = text[:start] + new + (text[end:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + header + row
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
