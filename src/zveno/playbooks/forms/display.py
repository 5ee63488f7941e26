"""The read-only page of a playbook: its document turned into what the template shows, every
code by its name and every number in the language's format."""

from __future__ import annotations

from typing import Any

from django.utils import formats

from zveno.playbooks.forms.labels import (
    CADENCE_LABELS,
    METRIC_LABELS,
    format_label,
    goal_label,
    network_label,
    role_label,
)
from zveno.playbooks.models import CADENCE_FACTOR
from zveno.playbooks.schema import CADENCES, FORMATS, ROLES, Playbook, Text


def number(value: float | None) -> str:
    """A number as people write it: no trailing zeros, the language's decimal separator."""
    if value is None:
        return ""
    return f"{value:g}".replace(".", str(formats.get_format("DECIMAL_SEPARATOR")))


def _span(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}–{high}"


def _kpi_target(kind: str, value: float) -> str:
    shown = number(value)
    if kind == "multiple":
        return f"×{shown}"
    if kind == "growth_pct":
        return f"+{shown} %"
    return shown


def page(playbook: Playbook, language: str) -> dict[str, Any]:
    """Everything the playbook page shows, with texts in the reader's language."""

    def t(text: Text) -> str:
        return text.get(language)

    area_names = {area.code: t(area.name) for area in playbook.areas}
    return {
        "name": t(playbook.name),
        "summary": t(playbook.summary),
        "goal": goal_label(playbook.goal_type),
        "total_days": playbook.total_duration_days,
        "stages": _stages(playbook, t, area_names),
        **_raci(playbook, t),
        "team": _team(playbook, t),
        "mix": _mix(playbook, t),
        **_networks(playbook),
        "kpis": [
            {
                "name": t(kpi.name),
                "metric": str(METRIC_LABELS.get(kpi.metric, kpi.metric)),
                "target": _kpi_target(kpi.kind, kpi.value),
                "window": kpi.window_days,
            }
            for kpi in playbook.kpis
        ],
        **_effort(playbook),
    }


def _stages(playbook: Playbook, t, area_names: dict[str, str]) -> list[dict]:
    total = playbook.total_duration_days or 1
    stages, first = [], 1
    for number, stage in enumerate(playbook.stages, start=1):
        last = first + stage.duration_days - 1
        stages.append(
            {
                "number": number,
                "code": stage.code,
                "name": t(stage.name),
                "purpose": t(stage.purpose),
                "days": stage.duration_days,
                "first": first,
                "last": last,
                "area": area_names.get(stage.area, stage.area),
                "checklist": [t(item) for item in stage.checklist],
                "deliverables": [t(item) for item in stage.deliverables],
                "left": round((first - 1) * 100 / total, 2),
                "width": round(stage.duration_days * 100 / total, 2),
            }
        )
        first = last + 1
    return stages


def _raci(playbook: Playbook, t) -> dict[str, Any]:
    roles = [role for role in ROLES if any(role in area.raci for area in playbook.areas)]
    return {
        "raci_roles": [(role, role_label(role)) for role in roles],
        "raci_rows": [
            {
                "name": t(area.name),
                "description": t(area.description),
                "cells": [area.raci.get(role, "") for role in roles],
            }
            for area in playbook.areas
        ],
    }


def _team(playbook: Playbook, t) -> dict[str, Any]:
    """Rows of network counts, a column per cadence: roles, headcount and the note."""
    by_range: dict[tuple[int, int | None], dict[str, Any]] = {}
    for scope in playbook.team:
        key = (scope.min_networks, scope.max_networks)
        by_range.setdefault(key, {})[scope.cadence] = {
            "roles": [(role_label(role), count) for role, count in scope.roles.items()],
            "headcount": scope.headcount,
            "note": t(scope.note),
        }
    rows = [
        {"span": _span(low, high), "cells": [cells.get(c) for c in CADENCES]}
        for (low, high), cells in sorted(by_range.items(), key=lambda kv: kv[0][0])
    ]
    return {"cadences": [(c, CADENCE_LABELS[c]) for c in CADENCES], "rows": rows}


def _mix(playbook: Playbook, t) -> list[dict]:
    top = max((rubric.share for rubric in playbook.content_mix), default=1) or 1
    return [
        {
            "code": rubric.code,
            "name": t(rubric.name),
            "share": rubric.share,
            "width": round(rubric.share * 100 / top, 2),
        }
        for rubric in playbook.content_mix
    ]


def _networks(playbook: Playbook) -> dict[str, Any]:
    formats = [fmt for fmt in FORMATS if fmt in playbook.formats_used]
    return {
        "net_formats": [format_label(fmt) for fmt in formats],
        "net_rows": [
            {
                "label": network_label(plan.network),
                "cells": [number(plan.formats.get(fmt)) for fmt in formats],
                "total": number(sum(plan.formats.values())),
            }
            for plan in playbook.networks
        ],
        "cadence_factors": [
            (CADENCE_LABELS[c], number(CADENCE_FACTOR[c]))
            for c in CADENCES
            if CADENCE_FACTOR.get(c, 1) != 1
        ],
    }


def _effort(playbook: Playbook) -> dict[str, Any]:
    roles = [role for role in ROLES if any(role in hours for hours in playbook.effort.values())]
    return {
        "effort_roles": [role_label(role) for role in roles],
        "effort_rows": [
            {
                "label": format_label(fmt),
                "cells": [number(playbook.effort[fmt].get(role)) for role in roles],
                "total": number(sum(playbook.effort[fmt].values())),
            }
            for fmt in FORMATS
            if fmt in playbook.effort
        ],
    }
