"""The playbook editor (forms to a document and errors back to the inputs) and the page models.

The editor never judges a value itself: it turns what was typed into the document format and
lets ``services.save_playbook`` validate it. The schema names every problem by its path in the
document (``stages[2].duration_days``); ``Editor.place`` puts each one next to the input it
came from, and collects them all for the summary at the top of the page.
"""

from __future__ import annotations

import copy
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zveno.playbooks.forms import MAX_STAGES, HeadForm, NumbersForm, StageForm
from zveno.playbooks.models import CADENCE_FACTOR
from zveno.playbooks.schema import CADENCES, FORMATS, NETWORKS, ROLES, Playbook, Text
from zveno.publishing.models import Network
from zveno.workspaces.models import GoalType
from zveno.workspaces.roles import JobRole

# --- labels -------------------------------------------------------------------------------------

FORMAT_LABELS = {
    "post": gettext_lazy("Post"),
    "carousel": gettext_lazy("Carousel"),
    "stories": gettext_lazy("Stories"),
    "reels": gettext_lazy("Reels"),
    "video": gettext_lazy("Long video"),
    "article": gettext_lazy("Article"),
    "email": gettext_lazy("E-mail"),
    "live": gettext_lazy("Live broadcast"),
    "lead_magnet": gettext_lazy("Lead magnet"),
    "warmup_step": gettext_lazy("Warm-up step"),
}

METRIC_LABELS = {
    "reach": gettext_lazy("Reach"),
    "post_reach": gettext_lazy("Reach of a post"),
    "er_reach": gettext_lazy("Engagement rate by reach"),
    "followers": gettext_lazy("Followers"),
    "dialogues": gettext_lazy("Dialogues"),
    "leads": gettext_lazy("Leads"),
    "lead_magnet_downloads": gettext_lazy("Lead-magnet downloads"),
    "email_subscribers": gettext_lazy("E-mail subscribers"),
    "site_visits": gettext_lazy("Site visits"),
    "sales": gettext_lazy("Sales"),
    "revenue": gettext_lazy("Revenue"),
    "err_telegram": gettext_lazy("ERR in Telegram"),
}

CADENCE_LABELS = {
    "low": gettext_lazy("Low cadence"),
    "medium": gettext_lazy("Medium cadence"),
    "high": gettext_lazy("High cadence"),
}

_ROLE_LABELS = dict(JobRole.choices)
_NETWORK_LABELS = dict(Network.choices)
_GOAL_LABELS = dict(GoalType.choices)


def role_label(code: str) -> str:
    return str(_ROLE_LABELS.get(code, code))


def network_label(code: str) -> str:
    return str(_NETWORK_LABELS.get(code, code))


def format_label(code: str) -> str:
    return str(FORMAT_LABELS.get(code, code))


def goal_label(code: str) -> str:
    return str(_GOAL_LABELS.get(code, code))


# --- the editor ---------------------------------------------------------------------------------

_MISSING: Any = object()
_INT = re.compile(r"[+-]?\d+")


def _number(text: str) -> Any:
    """What was typed in a number cell: an int, a float, _MISSING when empty.

    Anything else is passed on as typed, so that the schema reports it at its path.
    """
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        return _MISSING
    if _INT.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _pairs(ru: str, en: str) -> list[dict[str, str]]:
    """Items from two texts, one item a line; a line missing in one language stays missing."""
    ru_lines, en_lines = _lines(ru), _lines(en)
    items = []
    for i in range(max(len(ru_lines), len(en_lines))):
        item = {}
        if i < len(ru_lines):
            item["ru"] = ru_lines[i]
        if i < len(en_lines):
            item["en"] = en_lines[i]
        items.append(item)
    return items


def _text_of(value: Any, lang: str) -> str:
    return value.get(lang, "") if isinstance(value, dict) else ""


def _joined(items: list, lang: str) -> str:
    return "\n".join(_text_of(item, lang) for item in items)


def _stage_initial(stage: dict) -> dict[str, str]:
    initial = {
        "code": stage.get("code", ""),
        "area": stage.get("area", ""),
        "duration_days": _shown(stage.get("duration_days")),
    }
    for lang in ("ru", "en"):
        initial[f"name_{lang}"] = _text_of(stage.get("name"), lang)
        initial[f"purpose_{lang}"] = _text_of(stage.get("purpose"), lang)
        initial[f"checklist_{lang}"] = _joined(stage.get("checklist", []), lang)
        initial[f"deliverables_{lang}"] = _joined(stage.get("deliverables", []), lang)
    return initial


def stage_count(data) -> int:
    try:
        count = int(data.get("stage_count", 0))
    except (TypeError, ValueError):
        return 0
    return max(0, min(count, MAX_STAGES))


def restructure(data: QueryDict, action: str) -> QueryDict:
    """The posted editor with a stage added, removed or moved; nothing is saved.

    ``action`` is ``add``, ``remove:<i>``, ``up:<i>`` or ``down:<i>``.
    """
    fields = list(StageForm.base_fields)
    rows = [
        {name: data.get(f"stages-{i}-{name}", "") for name in fields}
        for i in range(stage_count(data))
    ]
    verb, _sep, arg = action.partition(":")
    index = int(arg) if arg.isdigit() else -1
    if verb == "add" and len(rows) < MAX_STAGES:
        rows.append(dict.fromkeys(fields, ""))
    elif verb == "remove" and 0 <= index < len(rows):
        rows.pop(index)
    elif verb == "up" and 0 < index < len(rows):
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and 0 <= index < len(rows) - 1:
        rows[index], rows[index + 1] = rows[index + 1], rows[index]
    result = data.copy()
    for key in list(result):
        if key.startswith("stages-"):
            del result[key]
    for i, row in enumerate(rows):
        for name, value in row.items():
            result[f"stages-{i}-{name}"] = value
    result["stage_count"] = str(len(rows))
    return result


@dataclass(frozen=True)
class Problem:
    """One error for the summary: the path in the document, the message, the input to jump to."""

    path: str
    message: str
    anchor: str


@dataclass(frozen=True)
class GridRow:
    code: str
    label: str
    cells: list  # bound fields
    used: bool = True


# The order of the editor's sections on the page; the error summary follows it.
_PAGE_ORDER = ("name", "summary", "stages", "content_mix", "networks", "effort")


def _page_order(path: str) -> tuple:
    section = re.split(r"[.\[]", path, maxsplit=1)[0]
    rank = _PAGE_ORDER.index(section) if section in _PAGE_ORDER else len(_PAGE_ORDER)
    numbers = tuple(int(n) for n in re.findall(r"\[(\d+)\]", path))
    return (rank, numbers, path)


class Editor:
    """The editor's forms, filled from a document or bound to what was posted."""

    def __init__(self, document: dict, data: QueryDict | None = None, language: str = "ru"):
        self.base = document
        self.language = language
        self.bound = data is not None
        self.areas = [
            (area.get("code", ""), _text_of(area.get("name"), language))
            for area in document.get("areas", [])
        ]
        head_initial = {
            f"{part}_{lang}": _text_of(document.get(part), lang)
            for part in ("name", "summary")
            for lang in ("ru", "en")
        }
        self.head = HeadForm(data, initial=head_initial)
        stages = document.get("stages", [])
        count = stage_count(data) if self.bound else len(stages)
        self.stages = [
            StageForm(
                data,
                prefix=f"stages-{i}",
                initial=_stage_initial(stages[i]) if i < len(stages) else {},
                areas=self.areas,
            )
            for i in range(count)
        ]
        self._numbers_layout()
        self.numbers = NumbersForm(
            data, names=self._number_names(), initial=self._numbers_initial()
        )
        self.section_errors: dict[str, list[str]] = defaultdict(list)
        self.problems: list[Problem] = []
        self._built: dict | None = None

    # the grids

    def _numbers_layout(self) -> None:
        doc = self.base
        self.rubrics = [
            (i, _text_of(rubric.get("name"), self.language))
            for i, rubric in enumerate(doc.get("content_mix", []))
        ]
        present = [plan.get("network") for plan in doc.get("networks", [])]
        self.networks = [*present, *(n for n in NETWORKS if n not in present)]
        self.network_formats = {
            plan.get("network"): list(plan.get("formats", {})) for plan in doc.get("networks", [])
        }
        effort = doc.get("effort", {})
        self.effort_formats = [*effort, *(f for f in FORMATS if f not in effort)]
        self.effort_roles = {fmt: list(per_role) for fmt, per_role in effort.items()}

    def _number_names(self) -> list[str]:
        names = [f"share-{i}" for i, _name in self.rubrics]
        names += [f"rate-{net}-{fmt}" for net in self.networks for fmt in FORMATS]
        names += [f"effort-{fmt}-{role}" for fmt in self.effort_formats for role in ROLES]
        return names

    def _numbers_initial(self) -> dict[str, str]:
        doc = self.base
        initial = {
            f"share-{i}": _shown(rubric.get("share"))
            for i, rubric in enumerate(doc.get("content_mix", []))
        }
        for plan in doc.get("networks", []):
            for fmt, value in plan.get("formats", {}).items():
                initial[f"rate-{plan.get('network')}-{fmt}"] = _shown(value)
        for fmt, per_role in doc.get("effort", {}).items():
            for role, hours in per_role.items():
                initial[f"effort-{fmt}-{role}"] = _shown(hours)
        return initial

    def share_rows(self) -> list[tuple[str, Any]]:
        return [(name, self.numbers[f"share-{i}"]) for i, name in self.rubrics]

    def share_total(self) -> Any:
        total = 0
        for i, _name in self.rubrics:
            value = _number(self.numbers[f"share-{i}"].value() or "")
            if not isinstance(value, int | float):
                return None
            total += value
        return total

    def rate_rows(self) -> list[GridRow]:
        return [
            GridRow(
                net,
                network_label(net),
                [self.numbers[f"rate-{net}-{fmt}"] for fmt in FORMATS],
                used=net in self.network_formats,
            )
            for net in self.networks
        ]

    def effort_rows(self) -> list[GridRow]:
        return [
            GridRow(
                fmt,
                format_label(fmt),
                [self.numbers[f"effort-{fmt}-{role}"] for role in ROLES],
                used=fmt in self.effort_roles,
            )
            for fmt in self.effort_formats
        ]

    @property
    def format_columns(self) -> list[tuple[str, str]]:
        return [(fmt, format_label(fmt)) for fmt in FORMATS]

    @property
    def role_columns(self) -> list[tuple[str, str]]:
        return [(role, role_label(role)) for role in ROLES]

    # forms -> document

    def document(self) -> dict:
        """The stored document with every part the form edits replaced by what was typed."""
        for form in (self.head, *self.stages, self.numbers):
            form.is_valid()  # every field is optional text: this only fills cleaned_data
        doc = copy.deepcopy(self.base)
        head = self.head.cleaned_data
        for part in ("name", "summary"):
            doc[part] = {"ru": head[f"{part}_ru"], "en": head[f"{part}_en"]}
        doc["stages"] = [self._stage(form.cleaned_data) for form in self.stages]
        numbers = self.numbers.cleaned_data
        for i, rubric in enumerate(doc.get("content_mix", [])):
            share = _number(numbers.get(f"share-{i}", ""))
            if share is _MISSING:
                rubric.pop("share", None)
            else:
                rubric["share"] = share
        doc["networks"] = self._networks(numbers)
        doc["effort"] = self._effort(numbers)
        self._built = doc
        return doc

    @staticmethod
    def _stage(data: dict) -> dict:
        stage: dict[str, Any] = {}
        if data["code"]:
            stage["code"] = data["code"]
        stage["name"] = {"ru": data["name_ru"], "en": data["name_en"]}
        stage["purpose"] = {"ru": data["purpose_ru"], "en": data["purpose_en"]}
        duration = _number(data["duration_days"])
        if duration is not _MISSING:
            stage["duration_days"] = duration
        if data["area"]:
            stage["area"] = data["area"]
        stage["checklist"] = _pairs(data["checklist_ru"], data["checklist_en"])
        stage["deliverables"] = _pairs(data["deliverables_ru"], data["deliverables_en"])
        return stage

    def _networks(self, numbers: dict) -> list[dict]:
        plans = []
        for net in self.networks:
            known = self.network_formats.get(net, [])
            formats = {}
            for fmt in [*known, *(f for f in FORMATS if f not in known)]:
                value = _number(numbers.get(f"rate-{net}-{fmt}", ""))
                if value is not _MISSING:
                    formats[fmt] = value
            if formats:
                plans.append({"network": net, "formats": formats})
        return plans

    def _effort(self, numbers: dict) -> dict:
        effort = {}
        for fmt in self.effort_formats:
            known = self.effort_roles.get(fmt, [])
            hours = {}
            for role in [*known, *(r for r in ROLES if r not in known)]:
                value = _number(numbers.get(f"effort-{fmt}-{role}", ""))
                if value is not _MISSING:
                    hours[role] = value
            if hours:
                effort[fmt] = hours
        return effort

    # errors -> inputs

    def place(self, errors: dict[str, list[str]], *, yaml: bool = False) -> None:
        """Shows each error at its input (or its section) and in the summary.

        With ``yaml`` the errors came from the YAML document: they all belong to that section.
        """
        for path, messages in errors.items():
            for message in messages:
                anchor = "sec-other" if yaml else self._place(path, message)
                if yaml:
                    self.section_errors["other"].append(f"{path}: {message}")
                self.problems.append(Problem(path, message, anchor))
        self.problems.sort(key=lambda problem: _page_order(problem.path))

    def _place(self, path: str, message: str) -> str:
        if match := re.fullmatch(r"(name|summary)(?:\.(ru|en))?", path):
            return self._on(self.head, f"{match[1]}_{match[2] or 'ru'}", message)
        if match := re.fullmatch(r"stages\[(\d+)\](.*)", path):
            index = int(match[1])
            if index < len(self.stages):
                return self._on_stage(self.stages[index], match[2], message)
        if match := re.fullmatch(r"content_mix\[(\d+)\]\.share", path):
            return self._on(self.numbers, f"share-{match[1]}", message)
        if match := re.fullmatch(r"networks\[(\d+)\]\.formats\.(\w+)", path):
            plans = (self._built or {}).get("networks", [])
            index = int(match[1])
            if index < len(plans):
                name = f"rate-{plans[index]['network']}-{match[2]}"
                if name in self.numbers.fields:
                    return self._on(self.numbers, name, message)
        if match := re.fullmatch(r"effort\.(\w+)\.(\w+)", path):
            name = f"effort-{match[1]}-{match[2]}"
            if name in self.numbers.fields:
                return self._on(self.numbers, name, message)
        section = path.split("[", 1)[0].split(".", 1)[0]
        if section not in ("stages", "content_mix", "networks", "effort"):
            section = "other"
        self.section_errors[section].append(f"{path}: {message}")
        return f"sec-{section}"

    def _on_stage(self, form: StageForm, rest: str, message: str) -> str:
        if match := re.fullmatch(r"\.(name|purpose)(?:\.(ru|en))?", rest):
            return self._on(form, f"{match[1]}_{match[2] or 'ru'}", message)
        if match := re.fullmatch(r"\.(checklist|deliverables)(?:\[(\d+)\](?:\.(ru|en))?)?", rest):
            if match[2] is not None:
                line = int(match[2]) + 1
                message = _("line %(line)s: %(message)s") % {"line": line, "message": message}
            return self._on(form, f"{match[1]}_{match[3] or 'ru'}", message)
        if match := re.fullmatch(r"\.(code|area|duration_days)", rest):
            return self._on(form, match[1], message)
        form.add_error(None, f"{rest.lstrip('.')}: {message}" if rest else message)
        return f"{form.prefix}-card"

    @staticmethod
    def _on(form, field: str, message: str) -> str:
        form.add_error(field, message)
        return form[field].auto_id

    @property
    def has_errors(self) -> bool:
        return bool(self.problems)


# --- the read-only page -------------------------------------------------------------------------


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
