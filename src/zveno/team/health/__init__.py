"""Health rules: the seed's lessons as checks over a project. Reads only, no writes.

Each rule is a small function ``(Context) -> Iterable[Finding]`` registered in ``RULES``; a finding
has a stable code, a severity, a title, a plain explanation and a fix (translated, numbers
interpolated) and the evidence as raw numbers. ``evaluate(project)`` runs every rule and sorts the
findings critical → warning → info, then by code. Thresholds come from the workspace's
``HealthSettings`` (defaults when it never saved any; a read never creates the row).

The rules and their severities:

* H1 — an area has no Accountable (A): critical; several A: warning.
* H2 — an area has no Responsible (R): critical.
* H3 — no expert member is R or C for expert knowledge: critical (the seed's case 1). A project
  with no expert at all is H4's finding.
* H4 — warning: the project has no expert; or an expert is neither R nor C in the content plan,
  stories and reels. Expert requests plug in through ``EXPERT_INPUT_SOURCES``: unanswered requests,
  or a share of content with the expert's input below ``expert_min_share``.
* H5 — warning: a person holds ``roles_alarm`` job roles or more, or is R for more than
  ``max_responsible_areas`` areas (one finding each).
* H6 — a member is over ``overload_percent`` in at least ``overload_weeks`` of the next
  ``horizon_weeks`` weeks: critical above a 150 % peak, else warning; for the expert (the client,
  not staff) at most warning.
* H7 — the team, the expert not counted, is smaller than the playbook's recommended team for the
  networks and cadence: critical below half the recommended size, else warning.
* H8 — warning, scope creep: against the latest version of the agreement that someone accepted, a
  member now R or A in an area where it gave them neither, or with open tasks in such an area.
* H9 — the networks need more staff hours a week at the playbook's cadence than the team's
  capacity: critical when the need is over 1.5 times the capacity, else warning.
* H10 — info: matrix cells given to the SMM (or producer) only because nobody holds the playbook's
  role (``Assignment.fallback``).
"""

from __future__ import annotations

from zveno.team import workload
from zveno.team.health.context import Context
from zveno.team.health.findings import (
    CRITICAL,
    EXPERT_INPUT_SOURCES,
    INFO,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    WARNING,
    ExpertInput,
    Finding,
)
from zveno.team.health.rules import RULES, Rule
from zveno.team.health_settings import settings_for
from zveno.workspaces.models import Project

__all__ = [
    "CRITICAL",
    "EXPERT_INPUT_SOURCES",
    "INFO",
    "RULES",
    "SEVERITY_LABELS",
    "SEVERITY_RANK",
    "WARNING",
    "Context",
    "ExpertInput",
    "Finding",
    "Rule",
    "evaluate",
    "sort_key",
]


def sort_key(finding: Finding) -> tuple[int, int]:
    return SEVERITY_RANK[finding.severity], int(finding.code.lstrip("H") or 0)


def evaluate(project: Project) -> list[Finding]:
    """Every rule's findings, critical first, then by code. Inside ``workload.shared_reads_many``
    the project's matrix, agreement and tasks come from one read for all the projects."""
    with workload.shared_reads(project) as f:
        settings = f.settings or settings_for(project.workspace_id)
        ctx = Context(project, settings, EXPERT_INPUT_SOURCES)
        findings = [finding for rule in RULES for finding in rule(ctx)]
    return sorted(findings, key=sort_key)
