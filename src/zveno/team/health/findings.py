"""What a health rule reports: a finding with its severity, evidence and fix; the seam
through which the content app tells H4 about expert requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext_lazy

from zveno.workspaces.models import Project
from zveno.workspaces.roles import JobRole

CRITICAL, WARNING, INFO = "critical", "warning", "info"
SEVERITY_RANK = {CRITICAL: 0, WARNING: 1, INFO: 2}
SEVERITY_LABELS = {
    CRITICAL: gettext_lazy("Critical"),
    WARNING: gettext_lazy("Warning"),
    INFO: gettext_lazy("Info"),
}
CRITICAL_PEAK = 150  # H6: a peak above this is critical
CRITICAL_NEED = 1.5  # H9: hours needed above this many times the capacity is critical
# A project that started this recently, whose team is still its one creator holding areas only
# because nobody else is there yet, is being gathered: its staffing findings (H6, H7, H9: one
# cause, a team not invited yet) are warnings, so a new project does not open on three critical
# findings about people it is about to invite.
GATHERING_DAYS = 7
# H4 until expert requests exist: the areas where the expert's voice shapes the content.
EXPERT_CONTENT_AREAS = ("content_plan", "stories", "reels_video")

EVIDENCE_LABELS = {
    "person": gettext_lazy("Person"),
    "experts": gettext_lazy("Experts on the team"),
    "area": gettext_lazy("Area"),
    "areas": gettext_lazy("Areas"),
    "count": gettext_lazy("Count"),
    "roles": gettext_lazy("Job roles"),
    "limit": gettext_lazy("Limit"),
    "responsible_areas": gettext_lazy("Areas as Responsible"),
    "overloaded_weeks": gettext_lazy("Overloaded weeks"),
    "of_weeks": gettext_lazy("Weeks looked ahead"),
    "peak_percent": gettext_lazy("Peak load, %"),
    "threshold_percent": gettext_lazy("Overload from, %"),
    "capacity_hours": gettext_lazy("Capacity, hours a week"),
    "team_size": gettext_lazy("Team size"),
    "recommended": gettext_lazy("Recommended"),
    "missing_roles": gettext_lazy("Roles without a separate person"),
    "networks": gettext_lazy("Networks"),
    "cadence": gettext_lazy("Cadence"),
    "sustainable_networks": gettext_lazy("Networks the team can sustain"),
    "hours_needed": gettext_lazy("Hours needed a week"),
    "agreement_version": gettext_lazy("Agreement version"),
    "open_tasks": gettext_lazy("Open tasks outside the agreement"),
    "unanswered_requests": gettext_lazy("Unanswered requests"),
    "expert_input_share": gettext_lazy("Content with expert input, %"),
    "minimum_share": gettext_lazy("Minimum share, %"),
}
ROLE_LIST_KEYS = frozenset({"missing_roles"})


@dataclass(frozen=True)
class Finding:
    """One problem a rule found: what, how bad, why, the numbers, and what to do."""

    code: str
    severity: str  # "critical" | "warning" | "info"
    title: str
    explanation: str
    evidence: dict = field(default_factory=dict)
    fix: str = ""

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS[self.severity])

    def evidence_items(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a page: lists joined, role codes as their names."""
        roles = dict(JobRole.choices)
        items = []
        for key, value in self.evidence.items():
            if isinstance(value, list | tuple):
                if key in ROLE_LIST_KEYS:
                    value = [roles.get(v, v) for v in value]
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, float):
                value = sentence_number(value)
            items.append((str(EVIDENCE_LABELS.get(key, key)), str(value)))
        return items

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "explanation": self.explanation,
            "evidence": dict(self.evidence),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class ExpertInput:
    """What expert requests say about the expert's involvement (from the content app, later)."""

    unanswered_requests: int  # overdue and still without an answer
    share_percent: float | None  # share of recent content items with the expert's input
    items: int = 0  # how many items the share is over


# (project) -> ExpertInput | None. The content app appends its reader of expert requests here in
# its AppConfig.ready; H4 then checks unanswered requests and the share against
# ``expert_min_share``.
EXPERT_INPUT_SOURCES: list[Callable[[Project], ExpertInput | None]] = []


def sentence_number(value: float) -> str:
    """A number for a sentence, in the active language's format: 93.75 -> "93,8" in Russian."""
    value = round(float(value), 1)
    return formats.number_format(value, 0 if value == int(value) else 1)


def round1(value: float) -> float:
    return round(float(value), 1)
