"""Benchmark: the publishing scheduler — 10,000 publications due at once, 4 worker processes,
against the local VK fake; a raw asyncio httpx loop sends the same posts to the same fake in the
same run, so the ratio of the two is what we track.

1. Throughput, the fake's limits and Zveno's off: posts a second of 4 `zveno publish --loop`
   workers (each claim, attempts written before the requests and outcomes after, the
   publications mirrored) against 4 concurrent raw `wall.post` requests with httpx.AsyncClient,
   the raw loop run before and after Zveno (interleaved) and the ratio taken to their mean.
2. Lateness, limits on (3 requests a second per token, 50 posts a day per community: 200
   communities × 50 posts, each with its own token), while a worker is SIGKILLed and restarted
   every 0.5–1.5 s until K kills were made: lateness p50/p99 (published at − due at),
   duplicates and losses counted on the fake's walls, with VK's own guid dedup turned off (only
   Zveno's reconciliation prevents twins). Kills are counted, and so are those that found the
   worker with a request in flight.

    .venv/bin/python bench/publishing.py [N] [--kills K] [--batch B] [--concurrency C] [--write]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/zveno_bench_publishing (that one
database is dropped, created and migrated afresh each run); DATABASE_URL=sqlite runs on a fresh
SQLite file in a temporary directory. Prints its results; with --write it replaces its section
of docs/benchmarks.md.
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


def option(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


ARGS = [a for i, a in enumerate(sys.argv[1:]) if not a.startswith("--")
        and not (i and sys.argv[i].startswith("--") and sys.argv[i] != "--write")]  # fmt: skip
N = int(ARGS[0]) if ARGS else 10_000
KILLS = option("--kills", 100)
BATCH = option("--batch", 80)
CONCURRENCY = option("--concurrency", 20)
WRITE = "--write" in sys.argv
WORKERS = 4
GROUPS = max(1, N // 50)  # VK: 50 posts a day per community
OLD_SECTION = "## Publishing: due at once, 4 workers (PostgreSQL, local VK fake)"

os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zveno.config.settings")
if os.environ["DATABASE_URL"] == "sqlite":  # a fresh file of this run's own
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['ZVENO_DATA_DIR']}/bench.sqlite3"


def fresh_database() -> None:
    from urllib.parse import urlsplit

    zveno = [sys.executable, "-m", "zveno", "manage", "migrate", "-v0"]
    if os.environ["DATABASE_URL"].startswith("sqlite"):
        subprocess.run(zveno, check=True, cwd=ROOT)
        return

    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
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
    env = {
        **os.environ, "ZVENO_VK_API_URL": f"{fake.url}/method",
        "ZVENO_PUBLISHING_BATCH": str(BATCH), "ZVENO_PUBLISHING_CONCURRENCY": str(CONCURRENCY),
    }  # fmt: skip
    env.update(extra)
    return env


LOG = Path(os.environ["ZVENO_DATA_DIR"]) / "workers.log"


def start(env) -> subprocess.Popen:
    with LOG.open("a") as log:  # the workers' own words, if one fails
        return subprocess.Popen(
            [sys.executable, "-m", "zveno", "publish", "--loop", "0.1"], env=env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


SETTLE_WAIT = 600  # seconds: a dispatch still waiting after that is reported as it stands


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


def raw_texts(prefix: str) -> list[str]:
    return [f"{prefix} {i:05d}" for i in range(N)]


def statements(fake, owner, project, n: int = 400) -> float:
    """Database statements per published post in passes of this process (the workers' own
    code, counted), limits off, as many as the workers were given."""
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(ZVENO_VK_API_URL=f"{fake.url}/method", PUBLISHING_INTERVALS={},
                           PUBLISHING_BATCH=BATCH, PUBLISHING_CONCURRENCY=CONCURRENCY):  # fmt: skip
        channels = channels_on(fake, owner, project, 1, "Q", first=5000)
        due(project, channels, n, timezone.now(), "Пост Q")
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            published = delivery.run_until_empty("bench-count").published
    return len(queries) / max(1, published)


def throughput(owner, project) -> dict:
    fake = FakeVk(limits=False)
    fake.honour_guid = False
    with fake:
        fake.add_group(999, "Сырой цикл")
        fake.add_token("raw-token", manages={999: 3})
        raw_before = asyncio.run(raw_loop(fake.url, 999, "raw-token", raw_texts("Сырой")))
        print(f"raw loop: {N / raw_before:.0f} posts/s", flush=True)
        channels = channels_on(fake, owner, project, 1, "A")
        texts = due(project, channels, N, timezone.now(), "Пост A")
        procs = [start(workers_env(fake, ZVENO_PUBLISHING_RATE_LIMITS="0")) for _ in range(WORKERS)]
        began = time.perf_counter()
        try:
            while unsettled() and time.perf_counter() - began < SETTLE_WAIT:
                time.sleep(0.5)
        finally:
            wall_seconds = time.perf_counter() - began
            stop(procs)
        sent = Attempt.objects.filter(kind="publish", outcome="published")
        first = sent.order_by("started_at").first().started_at
        last = sent.order_by("-finished_at").first().finished_at
        left = unsettled()
        zveno_seconds = (last - first).total_seconds()
        print(f"Zveno: {N / zveno_seconds:.0f} posts/s, {left} left", flush=True)
        duplicates, losses = counted(fake, texts)
        fake.add_group(998, "Сырой цикл, после")
        fake.add_token("raw-token-2", manages={998: 3})
        raw_after = asyncio.run(raw_loop(fake.url, 998, "raw-token-2", raw_texts("Сырой 2")))
        per_post = statements(fake, owner, project)
    raw = (N / raw_before + N / raw_after) / 2
    return {
        "raw": raw, "raw_before": N / raw_before, "raw_after": N / raw_after,
        "zveno": N / zveno_seconds, "zveno_wall": N / wall_seconds,
        "duplicates": duplicates, "losses": losses, "statements": per_post, "left": left,
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
        kills = in_flight = 0
        try:
            while timezone.now() < at:
                time.sleep(0.2)
            began = time.perf_counter()
            while unsettled() and time.perf_counter() - began < SETTLE_WAIT:
                if kills < KILLS:
                    time.sleep(random.uniform(0.5, 1.5))
                    victim = random.randrange(WORKERS)
                    pid = procs[victim].pid
                    os.killpg(pid, signal.SIGKILL)
                    procs[victim].wait()
                    in_flight += Attempt.objects.filter(
                        worker__contains=f":{pid}:", outcome=""
                    ).exists()
                    procs[victim] = start(env)
                    kills += 1
                    if kills == KILLS:
                        killing = time.perf_counter() - began
                else:
                    time.sleep(0.5)
            settled = time.perf_counter() - began
        finally:
            stop(procs)
        rows = Dispatch.objects.values_list("due_at", "published_at", "state")
        late = sorted((p - d).total_seconds() for d, p, s in rows if p is not None)
        states = {}
        for *_x, state in rows:
            states[state] = states.get(state, 0) + 1
        duplicates, losses = counted(fake, texts)
        left = unsettled()
    q = statistics.quantiles(late, n=100) if len(late) > 1 else [late[0]] * 99
    return {
        "p50": statistics.median(late), "p99": q[98], "max": late[-1], "kills": kills,
        "in_flight": in_flight, "killing": killing if kills == KILLS else None,
        "settled": settled, "left": left, "duplicates": duplicates, "losses": losses,
        "states": states,
    }  # fmt: skip


def on_celery(owner, project) -> dict:
    """The scale-out path: the same posts due at once, taken by WORKERS Celery worker processes
    (`zveno worker`) on Redis through the scheduler's task, limits off; exactly once, and how
    fast from the first request to the last answer."""
    from zveno.core.celery import app
    from zveno.publishing.tasks import publish_due

    Dispatch.objects.all().delete()
    ContentItem.objects.filter(project=project).delete()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    fake = FakeVk(limits=False)
    fake.honour_guid = False
    with fake:
        channels = channels_on(fake, owner, project, 1, "C", first=300_000)
        texts = due(project, channels, N, timezone.now(), "Пост C")
        env = workers_env(fake, REDIS_URL=redis_url, ZVENO_PUBLISHING_RATE_LIMITS="0")
        env.pop("ZVENO_QUEUE_DIR", None)
        with LOG.open("a") as log:
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "zveno", "worker", "--concurrency", "1"],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                for _ in range(WORKERS)
            ]
        began = time.perf_counter()
        try:
            with app.connection_for_write(redis_url) as conn:
                for _ in range(2 * WORKERS):  # rounds overlap; the claim shares the work
                    publish_due.apply_async(connection=conn)
            while unsettled() and time.perf_counter() - began < SETTLE_WAIT:
                time.sleep(0.5)
        finally:
            stop(procs)
        sent = Attempt.objects.filter(kind="publish", outcome="published")
        first = sent.order_by("started_at").first().started_at
        last = sent.order_by("-finished_at").first().finished_at
        processes = {w.split(":")[1] for w in sent.values_list("worker", flat=True).distinct()}
        duplicates, losses = counted(fake, texts)
        left = unsettled()
    return {
        "rate": N / (last - first).total_seconds(), "duplicates": duplicates, "losses": losses,
        "left": left, "processes": len(processes),
    }  # fmt: skip


def section() -> str:
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    return f"## Publishing: due at once, 4 workers ({vendor}, local VK fake)"


def report(a: dict, b: dict, c: dict) -> str:
    today = dt.date.today().isoformat()
    ratio = a["zveno"] / a["raw"]
    late = f"{b['p50']:.1f} s / {b['p99']:.1f} s / {b['max']:.1f} s"
    killing = f"{b['killing']:.0f} s" if b["killing"] else "not reached"
    return f"""{section()}

`bench/publishing.py`, run {today} on {connection.vendor} ({os.cpu_count()} cores shared with other
work: load average {os.getloadavg()[0]:.1f} at the end), {N:,} publications due at once,
{WORKERS} `zveno publish --loop` worker processes (batches of {BATCH}, {CONCURRENCY} requests side
by side each) against the local VK fake (`tests/fakes/vk.py`), VK's guid dedup off so that any
double send would show on the wall.

| measure | result |
|---|---|
| raw asyncio httpx loop, {WORKERS} concurrent `wall.post`, before / after Zveno | \
{a["raw_before"]:.0f} / {a["raw_after"]:.0f} posts/s |
| Zveno, {WORKERS} workers, limits off (first request to last answer) | {a["zveno"]:.0f} posts/s |
| **ratio Zveno / raw (mean of before and after)** | **{ratio:.1%}** |
| Zveno including the workers' start-up | {a["zveno_wall"]:.0f} posts/s |
| database statements per post (counted in-process, same batch) | {a["statements"]:.2f} |
| duplicates / losses (limits off); still waiting at the end | {a["duplicates"]} / \
{a["losses"]}; {a["left"]} |
| limits on, under kills: lateness p50 / p99 / max | {late} |
| workers SIGKILLed and restarted (every 0.5–1.5 s) | {b["kills"]} ({b["in_flight"]} with a \
request in flight), the {KILLS}th after {killing}; all settled after {b["settled"]:.0f} s |
| duplicates / losses under kills; still waiting at the end | {b["duplicates"]} / \
{b["losses"]}; {b["left"]} |
| final states | {", ".join(f"{k} {v}" for k, v in sorted(b["states"].items()))} |
| {WORKERS} Celery workers on Redis (`zveno worker`), limits off: first request to last \
answer | {c["rate"]:.0f} posts/s |
| Celery: duplicates / losses; still waiting at the end; worker processes that sent | \
{c["duplicates"]} / {c["losses"]}; {c["left"]}; {c["processes"]} |

A worker claims a batch (`SELECT … FOR UPDATE SKIP LOCKED` and one `UPDATE`; SQLite one
conditional `UPDATE`), writes a wave's attempts in one transaction before its requests go out side
by side, and records the outcomes, the release and the publications' mirror in one more; the raw
loop is the HTTP call alone. With limits on, the {N:,} posts go to {GROUPS} communities (50 each,
VK's daily cap) with a token each (3 requests a second), kept by the workers themselves through
the shared `RateSlot` rows. The fake is one Python process serving both, so the ratio, not the
absolute figure, carries over.
""".replace("\\\n", "")


KEPT = "<!-- kept by --write -->"


def write(text: str) -> None:
    """Replaces the section's figures; what follows the KEPT line (the prose) stays."""
    path = ROOT / "docs" / "benchmarks.md"
    doc = path.read_text()
    for title in (section(), OLD_SECTION):
        if title in doc:
            start_at = doc.index(title)
            nxt = doc.find("\n## ", start_at + len(title))
            end = nxt + 1 if nxt != -1 else len(doc)
            old = doc[start_at:end]
            kept = old[old.index(KEPT) :] if KEPT in old else ""
            doc = doc[:start_at] + text + ("\n" + kept if kept else "") + doc[end:]
            break
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc)


if __name__ == "__main__":
    print("workers' log:", LOG, flush=True)
    owner, project = world()
    a = throughput(owner, project)
    print("throughput", a, flush=True)
    b = lateness_under_kills(owner, project)
    print("lateness", b, flush=True)
    c = on_celery(owner, project)
    print("celery", c, flush=True)
    text = report(a, b, c)
    print(text)
    if WRITE:
        write(text)
