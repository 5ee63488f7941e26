"""Benchmark: lists of projects at agency scale, 5, 50 and 200 projects, against bare Django views.

Two pages, each measured against a bare Django view in the same process, through the same
middleware, on the same database, subject and baseline interleaved request by request:

* ``GET /api/v1/projects`` (bearer token) against a plain view that reads the same projects,
  grants, playbooks and networks with ``values()`` and answers the same JSON with ``JsonResponse``
  (signed in by session); the two bodies are checked to list the same projects with the same
  capabilities, playbooks and networks.
* the agency view against a plain view that reads the same projects, goal states, stored team
  summaries (critical findings, load) and 30-day reach and interactions with ``values()`` and
  renders the same columns with a minimal template (no base page). Both read the health and load
  as stored (``team.summary``); the summaries are fresh, as after the commits that made them.

    .venv/bin/python bench/agency.py                     # SQLite in a temporary data dir
    DATABASE_URL=postgres://.../empty_db .venv/bin/python bench/agency.py --write

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
SIZES = (5, 50, 200)
RUNS = int(os.environ.get("BENCH_RUNS", "11"))
urlpatterns: list = []  # this module is the URL configuration during the run


def main() -> None:
    write = "--write" in sys.argv
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
    from django.test import Client
    from django.urls import clear_url_caches, include, path

    from zveno.accounts import services as accounts
    from zveno.workspaces import services as ws

    call_command("migrate", verbosity=0)
    if get_user_model().objects.exists():
        sys.exit("use an empty database: this script creates its own data")
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    workspace = ws.create_workspace(user, "Агентство", slug="agency")
    _made, token = accounts.create_api_token(user, "bench")

    urlpatterns[:] = [
        path("bare/projects", _bare_projects),
        path("bare/agency/<slug:ws>/", _bare_agency),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()

    client = Client()
    client.force_login(user)
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    rows = []
    made = 0
    for size in SIZES:
        while made < size:
            _project(user, workspace, made)
            made += 1
        pairs = [
            ("GET /api/v1/projects", ("/api/v1/projects", api), ("/bare/projects", {})),
            ("agency view", ("/w/agency/analytics/", {}), ("/bare/agency/agency/", {})),
        ]
        for what, subject, bare in pairs:
            _check(client, what, subject, bare)
            full, base, queries = _interleaved(client, connection, subject, bare)
            row = (
                f"| {what}, {size} projects | {engine} | {full * 1000:.1f} ms | "
                f"{base * 1000:.1f} ms | {full / base:.2f}× | {queries} |"
            )
            print(row, flush=True)
            rows.append(row)
    if write:
        _write(rows)


def _project(user, workspace, n: int):
    from zveno.analytics import services as analytics
    from zveno.analytics.models import Goal, GoalState, GoalStatus
    from zveno.core.timezones import today_in
    from zveno.playbooks import services as playbooks
    from zveno.publishing import services as publishing
    from zveno.workspaces import services as ws
    from zveno.workspaces.roles import JobRole

    project = ws.create_project(
        user, workspace, name=f"Клиент {n:03}", slug=f"client-{n}",
        start_date=dt.date(2026, 11, 2), my_roles=[JobRole.SMM],
    )  # fmt: skip
    publishing.set_networks(user, project, ["telegram", "vk"])
    if n % 10 == 0:  # every tenth follows a playbook: areas, matrix, stages, tasks
        playbooks.choose_playbook(user, project, "real_estate")
    states = [GoalState.ON_TRACK, GoalState.AT_RISK, GoalState.REACHED]
    for k in range(2):
        Goal.objects.create(
            project=project, name=f"Цель {k}", metric="reach", kind="absolute", target=500,
            window_days=14, status=GoalStatus.ACTIVE, state=states[(n + k) % 3],
        )  # fmt: skip
    today = today_in(project.timezone)
    for k in range(3):
        when = dt.datetime.combine(today - dt.timedelta(days=5 + 12 * k), dt.time(12), dt.UTC)
        analytics.create_post(
            project, external_id=f"{n}-{k}", published_at=when,
            counters={"reach": 100 + n + k, "likes": 3 + k},
            captured_at=when + dt.timedelta(hours=30),
        )  # fmt: skip


def _interleaved(client, connection, subject, bare):
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

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


def _check(client, what, subject, bare) -> None:
    """The two answer the same thing: the same projects (and for the API the same fields)."""
    a = client.get(subject[0], **subject[1])
    b = client.get(bare[0], **bare[1])
    if what.startswith("GET"):
        keys = ("slug", "name", "workspace", "capabilities", "playbook", "cadence", "networks")
        pick = lambda rows: sorted(tuple(str(r[k]) for k in keys) for r in rows)  # noqa: E731
        assert pick(a.json()) == pick(b.json()), "the bare API view answers differently"
    else:
        import re

        def names(body: bytes) -> list[str]:
            table = re.search(r"<table.*?</table>", body.decode(), re.S).group(0)
            return sorted(re.findall(r"Клиент \d{3}", table))

        assert names(a.content) == names(b.content), "the bare table lists other projects"


# --- the bare views ---------------------------------------------------------------------------


def _bare_projects(request):
    from django.http import JsonResponse

    from zveno.playbooks.models import ProjectPlaybook
    from zveno.publishing.models import Channel
    from zveno.workspaces import access
    from zveno.workspaces.models import ProjectMembership, WorkspaceMembership
    from zveno.workspaces.roles import capabilities_for

    user = request.user
    fields = ("pk", "slug", "name", "workspace__slug", "workspace_id", "niche", "goal_type",
              "start_date", "end_date", "timezone", "status", "description", "created_at",
              "updated_at")  # fmt: skip
    projects = list(access.projects_for(user).values(*fields))
    pks = [p["pk"] for p in projects]
    roles = dict(
        ProjectMembership.objects.filter(user=user, project_id__in=pks).values_list(
            "project_id", "roles"
        )
    )
    ws_roles = dict(
        WorkspaceMembership.objects.filter(user=user).values_list("workspace_id", "role")
    )
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
    out = []
    for p in projects:
        pk = p.pop("pk")
        p["workspace"] = p.pop("workspace__slug")
        caps = capabilities_for(roles.get(pk, []), ws_roles.get(p.pop("workspace_id")))
        book = books.get(pk, (None, None))
        p.update(capabilities=sorted(caps), playbook=book[0], cadence=book[1],
                 networks=sorted(nets[pk]))  # fmt: skip
        out.append(p)
    return JsonResponse(out, safe=False)


BARE_TABLE = None


def _bare_agency(request, ws):
    from django.db.models import Count, Sum
    from django.http import HttpResponse
    from django.template import Context, Template

    from zveno.analytics.models import Goal, GoalState, GoalStatus, Post
    from zveno.team.models import TeamSummary
    from zveno.workspaces import access

    global BARE_TABLE
    if BARE_TABLE is None:
        BARE_TABLE = Template(
            "<table>{% for p in rows %}<tr><td><a href='/p/{{ p.slug }}/analytics/'>{{ p.name }}"
            "</a></td><td>{% for label, n in p.goals %}{{ label }}: {{ n }} {% endfor %}</td>"
            "<td>{{ p.critical|length }}{% for f in p.critical|slice:':2' %} {{ f.title.ru }}"
            "{% endfor %}</td><td>{{ p.load_peak }} % {{ p.overloaded }}</td>"
            "<td>{{ p.reach|floatformat:'0g' }}</td><td>{{ p.err|floatformat:2 }} %</td>"
            "</tr>{% endfor %}</table>"
        )
    projects = list(
        access.projects_for(request.user)
        .filter(workspace__slug=ws)
        .order_by("status", "name")
        .values("pk", "slug", "name")
    )
    pks = [p["pk"] for p in projects]
    labels = {value: str(label) for value, label in GoalState.choices}
    goals: dict[int, list] = {pk: [] for pk in pks}
    for pk, state, n in (
        Goal.objects.filter(project_id__in=pks, status=GoalStatus.ACTIVE)
        .order_by("project_id", "state")
        .values_list("project_id", "state")
        .annotate(n=Count("pk"))
    ):
        goals[pk].append((labels[state], n))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    sums = {
        r["project_id"]: r
        for r in Post.objects.filter(project_id__in=pks, published_at__gte=since)
        .values("project_id")
        .annotate(reach=Sum("latest_reach"), likes=Sum("latest_likes"))
    }
    team = {
        r["project_id"]: r
        for r in TeamSummary.objects.filter(project_id__in=pks).values(
            "project_id", "critical_findings", "load_peak", "overloaded"
        )
    }
    for p in projects:
        stored = team.get(p["pk"], {})
        p["critical"] = stored.get("critical_findings", [])
        p["load_peak"], p["overloaded"] = stored.get("load_peak"), stored.get("overloaded")
        found = sums.get(p["pk"], {})
        p["goals"] = goals[p["pk"]]
        p["reach"] = found.get("reach")
        p["err"] = 100 * found["likes"] / found["reach"] if found.get("reach") else None
    return HttpResponse(BARE_TABLE.render(Context({"rows": projects})))


def _write(rows: list[str]) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    lines = path.read_text().splitlines()
    title = "## Lists of projects at agency scale"
    day = os.environ.get("BENCH_DATE") or dt.date.today().isoformat()
    head = [
        title,
        "",
        "`bench/agency.py`: `GET /api/v1/projects` and the agency view against bare Django views",
        "with the same output (see the script), in the same process and middleware, interleaved;",
        "medians. Both read the team's health and load as stored (`team.summary`); before",
        "they were stored the agency view computed them on every view. Queries: the subject's,",
        "the same for every number of projects.",
        "",
        "| what | database | Zveno | bare Django | ratio | queries | date |",
        "|---|---|---|---|---|---|---|",
    ]
    if title not in lines:
        lines += ["", *head]
    start = lines.index(title)
    end = start + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    section = lines[start:end]
    while section and not section[-1].strip():
        section.pop()
    header = next(n for n, line in enumerate(section) if line.startswith("| what |"))
    for row in rows:  # in the table: a row of the same page and database replaced where it stands
        key = row.split("|")[1:3]
        table_end = header + 2
        while table_end < len(section) and section[table_end].startswith("|"):
            table_end += 1
        same = [n for n in range(header + 2, table_end) if section[n].split("|")[1:3] == key]
        if same:
            section[same[0]] = f"{row} {day} |"
        else:
            section.insert(table_end, f"{row} {day} |")
    lines[start:end] = section + ([""] if end < len(lines) else [])
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
