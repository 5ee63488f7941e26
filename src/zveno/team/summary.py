"""Stored team summaries: each project's health findings and four-week load, kept when they change.

Lists of projects (the agency view, the projects API) show every project's critical findings and
its busiest member's load. Computing them is a few milliseconds of Python a project (the health
rules and the load over the coming weeks), so they are computed when their inputs change and kept
in ``TeamSummary``; a list reads the rows.

When a summary is recomputed:

* **after a change of its inputs.** An input is a row the rules or the load read: the project
  itself, its members, channels and playbook (apps below the team: the team watches their models,
  and ``workspaces.services.PROJECT_CHANGED`` is called where they change in bulk), the team's own
  areas, matrix cells, agreements, stages and tasks, the workspace's health thresholds, and what
  the apps above register through ``watch`` (the content plan, its steps and publications, expert
  requests and answers). A change stamps ``inputs_changed_at`` in its own transaction and, after
  the commit, queues the project's recomputation once for the worker (``mark_changed``,
  ``refresh_changed_summaries``): the person who made the change never waits for the rules, and
  a list read before the worker got to it recomputes the stale row itself. Writes that bypass
  ``save`` and ``delete`` (bulk creates, queryset updates) call ``mark_changed`` themselves.
* **on read, when stale** (``for_projects``): a summary computed before its inputs' last change,
  or on an earlier day of the project's time zone (the load looks ahead from this week, "lately"
  moves with the days), is recomputed for that project only, for all such projects of a list at
  once, so a list costs the same number of queries however many are stale.
* **by the sweep** (``sweep``, the ``refresh_team_summaries`` beat task, hourly): every project,
  a safety net for a recomputation lost with its process and for what no input records (a member
  renaming themselves shows in a finding's title).

The rules still run live where one project is shown in full (the project page, the health API):
there every finding with its evidence and fix is wanted, not a count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation

from zveno.core import jobs
from zveno.core.timezones import today_in
from zveno.playbooks.models import ProjectPlaybook
from zveno.publishing.models import Channel
from zveno.team import health, workload
from zveno.team.models import (
    Agreement,
    AgreementAcceptance,
    Area,
    Assignment,
    HealthSettings,
    Stage,
    Task,
    TeamSummary,
)
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.services import PROJECT_CHANGED

LOAD_WEEKS = 4  # the load a list shows: the busiest member's peak over the next four weeks
SWEEP_CHUNK = 200
FIELDS = ("status", "critical", "warnings", "infos", "critical_findings", "load_peak",
          "overloaded", "computed_at", "computed_for")  # fmt: skip


@dataclass(frozen=True)
class StoredFinding:
    """A critical finding as a list shows it: its code and its title in the active language."""

    code: str
    title: str


def critical_of(summary: TeamSummary | None) -> list[StoredFinding]:
    """The summary's critical findings, titled in the active language (else the default one)."""
    if summary is None:
        return []
    language = translation.get_language() or settings.LANGUAGE_CODE
    out = []
    for found in summary.critical_findings:
        titles = found.get("title") or {}
        title = titles.get(language[:2]) or titles.get(settings.LANGUAGE_CODE) or ""
        out.append(StoredFinding(found["code"], title))
    return out


# --- computing ----------------------------------------------------------------------------------


def _summarise(project: Project, now: dt.datetime) -> TeamSummary:
    """One project's summary (inside ``workload.shared_reads_many``: nothing more is read)."""
    languages = [code for code, _name in settings.LANGUAGES]
    titles: dict[str, dict[str, str]] = {}
    findings: list = []
    for n, language in enumerate(languages):
        with translation.override(language):
            found = health.evaluate(project)
        if n == 0:
            findings = found
        critical = [f for f in found if f.severity == health.CRITICAL]
        for f in critical:
            titles.setdefault(f.code, {})[language] = f.title
        if not critical:
            break  # no title to keep: the other languages would find the same nothing
    severities = [f.severity for f in findings]
    load = workload.project_load(project, weeks=LOAD_WEEKS)
    peaks = [m.peak_percent for m in load.members if not m.is_expert_only]
    status = min(severities, key=health.SEVERITY_RANK.__getitem__, default="ok")
    return TeamSummary(
        project=project,
        status=status,
        critical=severities.count(health.CRITICAL),
        warnings=severities.count(health.WARNING),
        infos=severities.count(health.INFO),
        critical_findings=[
            {"code": f.code, "title": titles.get(f.code, {})}
            for f in findings
            if f.severity == health.CRITICAL
        ],
        load_peak=max((p for p in peaks if p is not None), default=None),
        overloaded=len(load.overloaded),
        computed_at=now,
        computed_for=today_in(project.timezone),
    )


def refresh(projects: Iterable[Project]) -> dict[int, TeamSummary]:
    """Computes and stores the summaries of these projects: the reads of ``shared_reads_many``
    and one write, whatever their number."""
    projects = list(projects)
    if not projects:
        return {}
    now = timezone.now()  # before reading: a change during the computation leaves it stale
    with workload.shared_reads_many(projects, weeks=LOAD_WEEKS):
        rows = [_summarise(project, now) for project in projects]
    TeamSummary.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["project"], update_fields=list(FIELDS)
    )
    batch = _pending(create=False)
    if batch is not None:  # a later change in this transaction must stamp these again
        batch.stamped -= {row.project_id for row in rows}
    return {row.project_id: row for row in rows}


def is_stale(summary: TeamSummary | None, project: Project, today: dt.date | None = None) -> bool:
    """Computed before its inputs' last change, or on an earlier day than the project's today
    (``today``: the project's, when the caller has it)."""
    if summary is None:
        return True
    changed = summary.inputs_changed_at
    if changed is not None and changed >= summary.computed_at:
        return True
    return summary.computed_for != (today or today_in(project.timezone))


def for_projects(projects: Iterable[Project]) -> dict[int, TeamSummary]:
    """The stored summaries of these projects, the stale ones recomputed first (all at once)."""
    projects = list(projects)
    found = {
        s.project_id: s for s in TeamSummary.objects.filter(project_id__in=[p.pk for p in projects])
    }
    today = {zone: today_in(zone) for zone in {p.timezone for p in projects}}  # once a zone
    stale = [p for p in projects if is_stale(found.get(p.pk), p, today[p.timezone])]
    if stale:
        found.update(refresh(stale))
    return found


def sweep() -> int:
    """Recomputes every project's summary, a chunk at a time; returns how many."""
    done = 0
    last = 0
    while True:
        chunk = list(
            Project.objects.filter(pk__gt=last)
            .select_related("workspace")
            .order_by("pk")[:SWEEP_CHUNK]
        )
        if not chunk:
            return done
        refresh(chunk)
        done += len(chunk)
        last = chunk[-1].pk


# --- knowing when the inputs change -------------------------------------------------------------


class _AfterCommit:
    """The projects whose inputs changed in the current transaction, recomputed once after it."""

    def __init__(self) -> None:
        self.pks: set[int] = set()
        self.stamped: set[int] = set()  # stamped since their last computation in this transaction

    def __call__(self) -> None:
        queue_refresh(self.pks)


def queue_refresh(pks: Iterable[int]) -> None:
    """Recomputing is the worker's (about 50 ms a project): a write does not wait for it, and a
    read that comes first recomputes what is still stale itself."""
    if pks:
        jobs.enqueue("zveno.team.tasks.refresh_changed_summaries", sorted(pks))


def refresh_stale(pks: Iterable[int]) -> int:
    """The worker's part: these projects' summaries, recomputed if still stale; how many were."""
    projects = list(Project.objects.filter(pk__in=list(pks)).select_related("workspace"))
    found = {s.project_id: s for s in TeamSummary.objects.filter(project__in=projects)}
    stale = [p for p in projects if is_stale(found.get(p.pk), p)]
    refresh(stale)
    return len(stale)


def _pending(create: bool = True) -> _AfterCommit | None:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    open_now = set(connection.savepoint_ids)
    for savepoints, function, _robust in connection.run_on_commit:
        # Only a batch of a block still open: one of a released savepoint may not run with ours.
        if isinstance(function, _AfterCommit) and savepoints <= open_now:
            return function
    if not create:
        return None
    batch = _AfterCommit()
    transaction.on_commit(batch, robust=True)  # a failure is logged; the read or sweep redoes it
    return batch


def mark_changed(project_ids: Iterable[int | None]) -> None:
    """The inputs of these projects changed: stamp their summaries (in the caller's transaction,
    so a rollback forgets it) and queue their recomputation after the commit (at once outside
    one)."""
    pks = {pk for pk in project_ids if pk is not None}
    batch = _pending()
    fresh = pks - batch.stamped if batch is not None else pks
    if fresh:  # one stamp a project until a read recomputes it within the same transaction
        TeamSummary.objects.filter(project_id__in=fresh).update(inputs_changed_at=timezone.now())
    if batch is None:  # autocommit: the stamp is already committed
        queue_refresh(pks)
        return
    batch.pks |= pks
    batch.stamped |= fresh


def project_changed(project: Project) -> None:
    """``workspaces.services.PROJECT_CHANGED``: a lower app changed the project's inputs in bulk."""
    mark_changed([project.pk])


ProjectIds = Callable[[models.Model], Iterable[int | None]]


def own_project(instance: models.Model) -> list[int | None]:
    """A row with a ``project`` of its own."""
    return [instance.project_id]  # type: ignore[attr-defined]


def through(name: str) -> ProjectIds:
    """A row whose project is its ``name`` parent's (read only when the parent is not at hand)."""

    def project_ids(instance: models.Model) -> list[int | None]:
        field = instance._meta.get_field(name)
        if field.is_cached(instance):  # type: ignore[union-attr]
            return [getattr(instance, name).project_id]
        parent = field.related_model  # type: ignore[union-attr]
        pk = getattr(instance, field.attname)  # type: ignore[union-attr]
        return list(parent.objects.filter(pk=pk).values_list("project_id", flat=True))

    return project_ids


def watch(model: type[models.Model], project_ids: ProjectIds) -> None:
    """Every save and delete of ``model`` changes the inputs of the projects ``project_ids`` names
    (apps above the team register their rows here in their ``AppConfig.ready``)."""

    def changed(sender, instance, **kwargs) -> None:
        if kwargs.get("raw"):
            return  # fixtures being loaded
        mark_changed(project_ids(instance))

    uid = f"team-summary:{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)


def register() -> None:
    """The team's inputs and those of the apps below it (called from the team's ``ready``)."""
    watch(Project, lambda project: [project.pk])
    for model in (ProjectMembership, Channel, ProjectPlaybook, Area, Agreement, Stage, Task):
        watch(model, own_project)
    watch(Assignment, through("area"))
    watch(AgreementAcceptance, through("agreement"))
    watch(
        HealthSettings,
        lambda row: Project.objects.filter(workspace_id=row.workspace_id).values_list(
            "pk", flat=True
        ),
    )
    PROJECT_CHANGED.register(project_changed)
