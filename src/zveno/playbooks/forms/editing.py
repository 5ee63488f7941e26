"""The playbook editor: forms to a document and errors back to the inputs (the read-only page is
``display``, the codes' names ``labels``).

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
from django.utils.translation import gettext as _

from zveno.playbooks.forms import MAX_STAGES, HeadForm, NumbersForm, StageForm
from zveno.playbooks.forms.labels import format_label, network_label, role_label
from zveno.playbooks.schema import FORMATS, NETWORKS, ROLES

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
