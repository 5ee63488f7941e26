"""Benchmark: the publishing scheduler — 10,000 publications due at once, 4 worker processes,
against the local VK fake; a raw asyncio httpx loop sends the same posts to the same fake in the
same run, so the ratio of the two is what we track.

1. Throughput, the fake's limits and Zveno's off: posts a second of 4 `zveno publish --loop`
   workers (each claim, attempt written before the request and outcome after, the publication
   mirrored) against 4 concurrent raw `wall.post` requests with httpx.AsyncClient.
2. Lateness, limits on (3 requests a second per token, 50 posts a day per community: 200
   communities × 50 posts, each with its own token), while a worker is SIGKILLed and restarted
   over and over: lateness p50/p99 (published at − due at), duplicates and losses counted on the
   fake's walls, with VK's own guid dedup turned off (only Zveno's reconciliation prevents twins).

    .venv/bin/python bench/publishing.py [N] [--kills K]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/zveno_bench_publishing (created and
migrated afresh each run). Writes (or replaces) its section of docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zveno_bench_publishing"
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 10_000
KILLS = int(sys.argv[sys.argv.index("--kills") + 1]) if "--kills" in sys.argv else 100
WORKERS = 4
GROUPS = max(1, N // 50)  # VK: 50 posts a day per community
SECTION = "## Publishing: due at once, 4 workers (PostgreSQL, local VK fake)"

os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zveno.config.settings")


def fresh_database() -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    zveno = [sys.executable, "-m", "zveno", "manage", "migrate", "-v0"]
    subprocess.run(zveno, check=True, cwd=ROOT)


fresh_database()
import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from tests.fakes.vk import FakeVk  # noqa: E402

from zveno.content.models import ContentItem, Publication, State  # noqa: E402
from zveno.publishing import delivery, services  # noqa: E402
from zveno.publishing.models import Attempt, Dispatch, DispatchState  # noqa: E402
from zveno.workspaces import services as ws  # noqa: E402

S = DispatchState


def world():
    owner = get_user_model().objects.create_user("bench", password="bench-pass-123")
    space = ws.create_workspace(owner, "Бенчмарк", slug="bench")
    project = ws.create_project(owner, space, name="Бенчмарк", slug="bench",
                                start_date=dt.date.today())  # fmt: skip
    return owner, project


def channels_on(fake, owner, project, groups: int, tag: str, first: int = 1000) -> list:
    made = []
    for g in range(groups):
        gid = first + g  # communities of one run never share ids (posts are keyed by them)
        token = f"{tag}-token-{g}"
        fake.add_group(gid, f"Сообщество {g}")
        fake.add_token(token, manages={gid: 3})
        channel = services.add_channel(owner, project, "vk", f"{tag} {g}", f"-{gid}")
        made.append(services.connect_channel(owner, channel, {"access_token": token}))
    return made


def due(project, channels, n: int, at, prefix: str) -> list[str]:
    texts = [f"{prefix} {i:05d}" for i in range(n)]
    items = ContentItem.objects.bulk_create(
        ContentItem(project=project, title=t, format="post", text=t, planned_at=at,
                    state=State.APPROVED) for t in texts
    )  # fmt: skip
    Publication.objects.bulk_create(
        Publication(item=item, channel=channels[i % len(channels)]) for i, item in enumerate(items)
    )
    delivery.sync()
    return texts


def workers_env(fake, **extra) -> dict:
    env = {**os.environ, "ZVENO_VK_API_URL": f"{fake.url}/method", "ZVENO_PUBLISHING_BATCH": "20"}
    env.update(extra)
    return env


LOG = Path(os.environ["ZVENO_DATA_DIR"]) / "workers.log"


def start(env) -> subprocess.Popen:
    with LOG.open("a") as log:  # the workers' own words, if one fails
        return subprocess.Popen(
            [sys.executable, "-m", "zveno", "publish", "--loop", "0.1"], env=env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def unsettled() -> int:
    """Still to go, not counting posts VK put off until tomorrow (its 50 a day)."""
    soon = timezone.now() + dt.timedelta(minutes=5)
    waiting = Dispatch.objects.filter(state__in=(S.SCHEDULED, S.SENDING, S.PLANNED))
    return waiting.exclude(state=S.SCHEDULED, next_try_at__gt=soon).count()


def stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


async def raw_loop(url: str, group: int, token: str, texts: list[str]) -> float:
    queue = list(reversed(texts))
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker():
            while queue:
                text = queue.pop()
                await client.post(
                    f"{url}/method/wall.post",
                    data={"owner_id": -group, "from_group": 1, "message": text, "v": "5.199"},
                    headers={"Authorization": f"Bearer {token}"},
                )

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        return time.perf_counter() - began


def counted(fake, texts: list[str]) -> tuple[int, int]:
    """(duplicates, losses) over every wall of the fake."""
    seen: dict[str, int] = {}
    for group in fake.groups:
        for post in fake.posts(group):
            seen[post["text"]] = seen.get(post["text"], 0) + 1
    duplicates = sum(c - 1 for t, c in seen.items() if t in set(texts) and c > 1)
    losses = sum(1 for t in texts if t not in seen)
    return duplicates, losses


def throughput(owner, project) -> dict:
    fake = FakeVk(limits=False)
    fake.honour_guid = False
    with fake:
        fake.add_group(999, "Сырой цикл")
        fake.add_token("raw-token", manages={999: 3})
        raw_texts = [f"Сырой {i:05d}" for i in range(N)]
        raw_seconds = asyncio.run(raw_loop(fake.url, 999, "raw-token", raw_texts))
        channels = channels_on(fake, owner, project, 1, "A")
        texts = due(project, channels, N, timezone.now(), "Пост A")
        procs = [start(workers_env(fake, ZVENO_PUBLISHING_RATE_LIMITS="0")) for _ in range(WORKERS)]
        began = time.perf_counter()
        try:
            while unsettled():
                time.sleep(0.5)
        finally:
            wall_seconds = time.perf_counter() - began
            stop(procs)
        first = Attempt.objects.order_by("started_at").first().started_at
        last = Attempt.objects.order_by("-finished_at").first().finished_at
        zveno_seconds = (last - first).total_seconds()
        duplicates, losses = counted(fake, texts)
    return {
        "raw": N / raw_seconds, "zveno": N / zveno_seconds, "zveno_wall": N / wall_seconds,
        "duplicates": duplicates, "losses": losses,
    }  # fmt: skip


def lateness_under_kills(owner, project) -> dict:
    Dispatch.objects.all().delete()
    ContentItem.objects.filter(project=project).delete()
    fake = FakeVk(limits=True)
    fake.honour_guid = False
    with fake:
        channels = channels_on(fake, owner, project, GROUPS, "B", first=100_000)
        at = timezone.now() + dt.timedelta(seconds=15)  # due together, once the workers are up
        texts = due(project, channels, N, at, "Пост B")
        env = workers_env(fake, ZVENO_PUBLISHING_LEASE_SECONDS="5")
        procs = [start(env) for _ in range(WORKERS)]
        kills = 0
        try:
            time.sleep(15)
            while unsettled():
                if kills < KILLS:
                    time.sleep(random.uniform(2.5, 5.5))  # a worker boots in ~2 s
                    victim = random.randrange(WORKERS)
                    os.killpg(procs[victim].pid, signal.SIGKILL)
                    procs[victim].wait()
                    procs[victim] = start(env)
                    kills += 1
                else:
                    time.sleep(0.5)
        finally:
            stop(procs)
        rows = Dispatch.objects.values_list("due_at", "published_at", "state")
        late = sorted((p - d).total_seconds() for d, p, s in rows if p is not None)
        states = {}
        for *_x, state in rows:
            states[state] = states.get(state, 0) + 1
        duplicates, losses = counted(fake, texts)
    q = statistics.quantiles(late, n=100) if len(late) > 1 else [late[0]] * 99
    return {
        "p50": statistics.median(late), "p99": q[98], "max": late[-1], "kills": kills,
        "duplicates": duplicates, "losses": losses, "states": states,
    }  # fmt: skip


def write(a: dict, b: dict) -> str:
    today = dt.date.today().isoformat()
    ratio = a["zveno"] / a["raw"]
    late = f"{b['p50']:.1f} s / {b['p99']:.1f} s / {b['max']:.1f} s"
    text = f"""{SECTION}

`bench/publishing.py`, run {today} on {connection.vendor} ({os.cpu_count()} cores, shared), {N:,}
publications due at once, {WORKERS} `zveno publish --loop` worker processes against the local VK
fake (`tests/fakes/vk.py`), VK's guid dedup off so that any double send would show on the wall.

| measure | result |
|---|---|
| raw asyncio httpx loop, {WORKERS} concurrent `wall.post` | {a["raw"]:.0f} posts/s |
| Zveno, {WORKERS} workers, limits off (first request to last answer) | {a["zveno"]:.0f} posts/s |
| ratio Zveno / raw | {ratio:.0%} |
| Zveno including the workers' start-up | {a["zveno_wall"]:.0f} posts/s |
| duplicates / losses (limits off) | {a["duplicates"]} / {a["losses"]} |
| limits on: lateness p50 / p99 / max | {late} |
| workers SIGKILLed and restarted meanwhile | {b["kills"]} |
| duplicates / losses under kills | {b["duplicates"]} / {b["losses"]} |
| final states | {", ".join(f"{k} {v}" for k, v in sorted(b["states"].items()))} |

Each Zveno post is a claim (`SELECT … FOR UPDATE SKIP LOCKED`), an attempt row written before the
request and its outcome after, the dispatch's release and the publication mirrored — about a dozen
statements around one HTTP call; the raw loop is the HTTP call alone. With limits on, the
{N:,} posts go to {GROUPS} communities (50 each, VK's daily cap) with a token each (3 requests a
second), and the workers keep those limits themselves through the shared `RateSlot` rows. The
fake is one Python process serving both, so the ratio, not the absolute figure, carries over.
"""
    path = ROOT / "docs" / "benchmarks.md"
    doc = path.read_text()
    if SECTION in doc:
        start_at = doc.index(SECTION)
        nxt = doc.find("\n## ", start_at + len(SECTION))
        doc = doc[:start_at] + text + (doc[nxt + 1 :] if nxt != -1 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc)
    return text


if __name__ == "__main__":
    print("workers' log:", LOG, flush=True)
    owner, project = world()
    a = throughput(owner, project)
    print("throughput", a, flush=True)
    b = lateness_under_kills(owner, project)
    print("lateness", b, flush=True)
    print(write(a, b))
