"""What the health rules read: the project's team, matrix, agreement, load and playbook, each
part read once and only when a rule asks for it (or read for many projects at once by
``_prefetch`` inside ``workload.shared_reads_many``)."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from django.utils.translation import get_language

from zveno.core.timezones import today_in
from zveno.team import staffing, workload
from zveno.team.health.findings import CRITICAL, GATHERING_DAYS, WARNING
from zveno.team.models import Agreement, Area, Assignment, HealthSettings, Task, TaskStatus
from zveno.workspaces.models import Project, ProjectMembership
from zveno.workspaces.roles import JobRole

# --- what the rules read ----------------------------------------------------------------------


class Context:
    """Everything the rules look at, each part read once and only when a rule asks for it."""

    def __init__(self, project: Project, settings: HealthSettings, expert_input_sources=()):
        self.project = project
        self.settings = settings
        self.expert_input_sources = list(expert_input_sources)  # health.EXPERT_INPUT_SOURCES
        self.facts = workload.facts(project)
        self.english = (get_language() or "ru").startswith("en")

    @property
    def members(self) -> list[ProjectMembership]:
        return self.facts.members

    @cached_property
    def gathering(self) -> bool:
        """The team is still being gathered: in its first days the project has one person
        besides the expert, and areas fell to them only because nobody holds the playbook's
        role yet (work not taken yet, unlike one person who took every role on purpose)."""
        team = [m for m in self.members if set(m.roles) - {JobRole.EXPERT}]
        started = today_in(self.project.timezone) - self.project.start_date
        if len(team) > 1 or started.days >= GATHERING_DAYS:
            return False
        return any(cell.fallback for cells in self.cells.values() for cell in cells)

    def staffing(self, severity: str) -> str:
        """A staffing finding's severity: at most a warning while the team is being gathered."""
        return WARNING if severity == CRITICAL and self.gathering else severity

    @cached_property
    def by_pk(self) -> dict[int, ProjectMembership]:
        return {m.pk: m for m in self.members}

    def name(self, membership_id: int) -> str:
        member = self.by_pk.get(membership_id)
        return member.user.display_name if member else str(membership_id)

    @cached_property
    def _prefetched(self) -> dict:
        """What ``_prefetch`` read for many projects at once (the agency view), or nothing."""
        return getattr(self.facts, "health_reads", None) or {}

    @cached_property
    def areas(self) -> list[Area]:
        if "areas" in self._prefetched:
            return self._prefetched["areas"]
        return list(Area.objects.filter(project_id=self.project.pk).order_by("order", "pk"))

    def area_name(self, area: Area) -> str:
        return area.name("en" if self.english else "ru")

    @cached_property
    def cells(self) -> dict[int, list[Assignment]]:
        """Area pk -> its matrix cells."""
        if "cells" in self._prefetched:
            return self._prefetched["cells"]
        rows: dict[int, list[Assignment]] = defaultdict(list)
        for cell in Assignment.objects.filter(area__project_id=self.project.pk):
            rows[cell.area_id].append(cell)
        return rows

    def letters(self, area: Area, membership_id: int) -> str:
        for cell in self.cells.get(area.pk, []):
            if cell.membership_id == membership_id:
                return cell.letters
        return ""

    def area(self, code: str) -> Area | None:
        return next((a for a in self.areas if a.code == code), None)

    @property
    def experts(self) -> list[ProjectMembership]:
        return self.facts.holders(JobRole.EXPERT)

    @cached_property
    def load(self) -> workload.Workload:
        return workload.project_load(self.project, weeks=max(1, self.settings.horizon_weeks))

    @cached_property
    def advice(self) -> staffing.Recommendation:
        return staffing.recommendation(self.project)

    @cached_property
    def open_area_tasks(self) -> list[tuple[int, str, int]]:
        """(assignee, area code, area) of every open task someone holds in an area."""
        if "area_tasks" in self._prefetched:
            return self._prefetched["area_tasks"]
        return list(
            Task.objects.filter(
                project_id=self.project.pk, assignee__isnull=False, area__isnull=False
            )
            .exclude(status=TaskStatus.DONE)
            .values_list("assignee_id", "area__code", "area_id")
        )

    @cached_property
    def agreement(self) -> Agreement | None:
        """The latest version someone accepted: what the team agreed to."""
        if "agreement" in self._prefetched:
            return self._prefetched["agreement"]
        return (
            Agreement.objects.filter(project_id=self.project.pk, acceptances__isnull=False)
            .order_by("-version")
            .first()
        )


def _prefetch(facts: dict[int, workload.Facts], weeks: int) -> None:
    """The rules' own reads (areas, matrix cells, the accepted agreement, open tasks in areas)
    for many projects in four queries, left on each project's shared facts."""
    pks = list(facts)
    if not pks:
        return
    reads = {pk: {"areas": [], "cells": defaultdict(list), "agreement": None, "area_tasks": []}
             for pk in pks}  # fmt: skip
    for area in Area.objects.filter(project_id__in=pks).order_by("order", "pk"):
        reads[area.project_id]["areas"].append(area)
    cells = Assignment.objects.filter(area__project_id__in=pks).select_related("area")
    for cell in cells:
        reads[cell.area.project_id]["cells"][cell.area_id].append(cell)
    accepted = (
        Agreement.objects.filter(project_id__in=pks, acceptances__isnull=False)
        .order_by("project_id", "-version")
        .distinct()
    )
    for agreement in accepted:
        if reads[agreement.project_id]["agreement"] is None:
            reads[agreement.project_id]["agreement"] = agreement
    tasks = (
        Task.objects.filter(project_id__in=pks, assignee__isnull=False, area__isnull=False)
        .exclude(status=TaskStatus.DONE)
        .values_list("project_id", "assignee_id", "area__code", "area_id")
    )
    for project_id, *row in tasks:
        reads[project_id]["area_tasks"].append(tuple(row))
    for pk, f in facts.items():
        f.health_reads = reads[pk]  # type: ignore[attr-defined]


if _prefetch not in workload.PREFETCH:
    workload.PREFETCH.append(_prefetch)
