"""Benchmark: `GET /api/v1/projects` (5 projects) under gunicorn as `zveno serve` runs it, against a
bare Django JSON view with the same output, served by the same gunicorn in the same run.

The bare view is mounted only here: gunicorn is started with this module as its settings module
(Zveno's settings, with this module's URL configuration: Zveno's URLs plus ``/bench/projects``).
It authenticates the same bearer token with one plain query and reads the same projects, roles,
playbooks and networks with ``values()``; the two bodies are checked equal before the load.

The load is wrk-style: ``--connections`` keep-alive connections on loopback, each sending requests
back to back, a bounded number of requests per block; blocks of the subject and of the baseline
alternate (which goes first alternates too), and the figures are the medians of the blocks. The
load generator runs on the same machine and takes its share of the CPU.

    .venv/bin/python bench/api.py                          # SQLite in a temporary data dir
    DATABASE_URL=postgres://.../empty_db .venv/bin/python bench/api.py --write

The script migrates the database it is given (it must be empty) and creates or drops no other.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = 5


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--requests", type=int, default=400, help="requests in one block")
    args.add_argument("--blocks", type=int, default=6, help="blocks of each endpoint")
    args.add_argument("--connections", type=int, default=8)
    args.add_argument("--web-workers", type=int, default=2)
    args.add_argument("--web-threads", type=int, default=4)
    args.add_argument("--port", type=int, default=8791)
    args.add_argument("--write", action="store_true")
    options = args.parse_args()

    os.environ.setdefault("ZVENO_DATA_DIR", tempfile.mkdtemp(prefix="zveno-bench-api-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "api"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]
    )
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    from django.conf import settings

    token = _data()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]

    from zveno.config.supervisor import gunicorn

    command = gunicorn("127.0.0.1", options.port, options.web_workers, options.web_threads)
    server = subprocess.Popen(command, env=os.environ.copy(), cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
        subject, bare = "/api/v1/projects", "/bench/projects"
        _wait_up(options.port, subject, headers)
        _check(options.port, subject, bare, headers)
        rates: dict[str, list[float]] = {subject: [], bare: []}
        for _ in range(2):  # warm-up: every worker and thread has served both
            for target in (subject, bare):
                _load(options.port, target, headers, options.connections, options.requests // 4)
        for n in range(options.blocks):
            for target in (subject, bare) if n % 2 == 0 else (bare, subject):
                rate = _load(options.port, target, headers, options.connections, options.requests)
                rates[target].append(rate)
                print(f"{target}: {rate:.0f} req/s", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    full, base = statistics.median(rates[subject]), statistics.median(rates[bare])
    row = (
        f"| GET /api/v1/projects, {PROJECTS} projects | {engine} | {full:.0f} req/s | "
        f"{base:.0f} req/s | {full / base:.2f} | {options.web_workers}×{options.web_threads} | "
        f"{options.connections} | 2026-12-05 |"
    )
    print(row)
    if options.write:
        _write(row, engine)


def _data() -> str:
    """Migrates the empty database and makes 5 projects on two networks; the owner's token."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from zveno.accounts import services as accounts
    from zveno.playbooks import services as playbooks
    from zveno.publishing import services as publishing
    from zveno.workspaces import services as ws
    from zveno.workspaces.roles import JobRole

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as `zveno serve` does
    if get_user_model().objects.exists():
        sys.exit("use an empty database: this script creates its own data")
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    workspace = ws.create_workspace(user, "Агентство", slug="agency")
    for n in range(PROJECTS):
        project = ws.create_project(
            user, workspace, name=f"Клиент {n:03}", slug=f"client-{n}", my_roles=[JobRole.SMM]
        )
        publishing.set_networks(user, project, ["telegram", "vk"])
        if n % 2 == 0:
            playbooks.choose_playbook(user, project, "real_estate")
    return accounts.create_api_token(user, "bench")[1]


def _bare_projects(request):
    """The same JSON as the API: a plain view, the token read with one query."""
    from django.contrib.auth import get_user_model
    from django.http import JsonResponse

    from zveno.accounts.models import ApiToken, hash_secret
    from zveno.playbooks.models import ProjectPlaybook
    from zveno.publishing.models import Channel
    from zveno.team.models import TeamSummary
    from zveno.workspaces import access
    from zveno.workspaces.models import ProjectMembership, WorkspaceMembership
    from zveno.workspaces.roles import capabilities_for

    raw = request.headers.get("Authorization", "").removeprefix("Bearer ")
    user_id = (
        ApiToken.objects.filter(token_hash=hash_secret(raw), revoked_at__isnull=True)
        .values_list("user_id", flat=True)
        .first()
    )
    if user_id is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    fields = ("pk", "slug", "name", "workspace__slug", "workspace_id", "niche", "goal_type",
              "start_date", "end_date", "timezone", "status", "description", "created_at",
              "updated_at")  # fmt: skip
    ws_roles = dict(
        WorkspaceMembership.objects.filter(user_id=user_id).values_list("workspace_id", "role")
    )
    roles = dict(
        ProjectMembership.objects.filter(user_id=user_id).values_list("project_id", "roles")
    )
    # The same visibility rule as the API (and its record for the access audit).
    projects = list(access.projects_for(get_user_model()(pk=user_id)).values(*fields))
    pks = [p["pk"] for p in projects]
    books = {
        pk: (key, cadence)
        for pk, key, cadence in ProjectPlaybook.objects.filter(project_id__in=pks).values_list(
            "project_id", "key", "cadence"
        )
    }
    nets: dict[int, set] = {pk: set() for pk in pks}
    for pk, network in Channel.objects.filter(project_id__in=pks, is_active=True).values_list(
        "project_id", "network"
    ):
        nets[pk].add(network)
    team_fields = ("status", "critical", "warnings", "infos", "load_peak", "overloaded",
                   "computed_at")  # fmt: skip
    teams = {
        row.pop("project_id"): row
        for row in TeamSummary.objects.filter(project_id__in=pks).values("project_id", *team_fields)
    }
    out = []
    for p in projects:
        pk = p.pop("pk")
        p["workspace"] = p.pop("workspace__slug")
        caps = capabilities_for(roles.get(pk, []), ws_roles.get(p.pop("workspace_id")))
        book = books.get(pk, (None, None))
        team = teams.get(pk)
        if team is not None and not caps & {"manage_team", "edit_content"}:
            team.update(load_peak=None, overloaded=0)
        p.update(capabilities=sorted(caps), playbook=book[0], cadence=book[1],
                 networks=sorted(nets[pk]), team=team)  # fmt: skip
        out.append(p)
    return JsonResponse(out, safe=False)


# --- the load -------------------------------------------------------------------------------------


def _get(conn: http.client.HTTPConnection, path: str, headers: dict) -> bytes:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
    return body


def _wait_up(port: int, path: str, headers: dict) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), path, headers)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _check(port: int, subject: str, bare: str, headers: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    a, b = (json.loads(_get(conn, path, headers)) for path in (subject, bare))
    key = lambda rows: sorted(rows, key=lambda r: r["slug"])  # noqa: E731
    if key(a) != key(b) or len(a) != PROJECTS:
        raise SystemExit(f"the bodies differ:\n{a}\n{b}")


def _load(port: int, path: str, headers: dict, connections: int, requests: int) -> float:
    """Requests per second for ``requests`` requests over ``connections`` keep-alive connections."""
    left = [requests]
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            _get(conn, path, headers)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return requests / (time.perf_counter() - started)


# --- results --------------------------------------------------------------------------------------

HEADING = "## The projects API under gunicorn"
INTRO = (
    "`bench/api.py`: `GET /api/v1/projects` (5 projects, bearer token) against a bare Django JSON "
    "view with the same output (the token read with one query; grants, playbooks, networks and "
    "the stored team summaries read with `values()`), both served by one gunicorn with the "
    "settings `zveno serve` uses (gthread, workers × threads below, access log on), loopback, "
    "keep-alive connections, blocks of requests alternating; medians of the blocks. The load "
    "generator shares the 2 cores with the server."
)
HEADER = (
    "| what | database | Zveno | bare Django | ratio | workers × threads | connections | date |\n"
    "|---|---|---|---|---|---|---|---|"
)


def _write(row: str, engine: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n\n{HEADER}\n"
    lines = text.split("\n")
    start = lines.index(HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = [
        ln for ln in lines[start:end] if not (ln.startswith("| GET") and f"| {engine} |" in ln)
    ]
    while section and not section[-1]:
        section.pop()
    section += [row, ""]
    path.write_text("\n".join(lines[:start] + section + lines[end:]).rstrip("\n") + "\n")


if __name__ != "__main__":  # imported by gunicorn as the settings module (and URL configuration)
    from zveno.config.settings import *  # noqa: F403

    ROOT_URLCONF = __name__

    def __getattr__(name: str):
        if name == "urlpatterns":  # read by the URL resolver once the apps are ready
            from django.urls import include, path

            return [path("bench/projects", bare_projects), path("", include("zveno.config.urls"))]
        raise AttributeError(name)

    def bare_projects(request):
        return _bare_projects(request)


if __name__ == "__main__":
    main()
