"""Checking a playbook document: ``validate(document, source)`` turns plain data (parsed YAML, or
JSON from a workspace's custom copy) into a ``schema.Playbook``, or raises one ``PlaybookError``
listing every problem with its path inside the document."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from zveno.playbooks.schema import (
    AREA_CODES,
    CADENCES,
    EXPERT_AREA,
    EXPERT_LETTERS,
    FORMATS,
    GOAL_TYPES,
    KPI_KINDS,
    METRICS,
    MIN_CHECKLIST_ITEMS,
    MIN_DELIVERABLES,
    MIN_RUBRICS,
    NETWORKS,
    RACI_LETTERS,
    ROLES,
    RUBRICS,
    Area,
    FrozenMap,
    KpiTemplate,
    NetworkPlan,
    Playbook,
    PlaybookError,
    PlaybookIssue,
    Rubric,
    Stage,
    TeamScope,
    Text,
)

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_PLACEHOLDER = re.compile(r"\b(lorem|ipsum|todo|tbd|fixme)\b|xxx|\?\?\?", re.IGNORECASE)


# --- validation ---------------------------------------------------------------------------------

_MISSING: Any = object()

_TOP_FIELDS = (
    "key",
    "version",
    "name",
    "summary",
    "goal_type",
    "areas",
    "stages",
    "team",
    "content_mix",
    "networks",
    "kpis",
    "effort",
)


def validate(document: Any, source: str = "<playbook>") -> Playbook:
    """Build a ``Playbook`` from plain data or raise ``PlaybookError`` with every problem found."""
    checker = _Checker(source)
    playbook = checker.playbook(document)
    if checker.issues:
        raise PlaybookError(checker.issues)
    return playbook


def _key(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _one_of(options: Iterable[str]) -> str:
    return ", ".join(options)


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Checker:
    """Walks a document, records every issue, and returns stand-in values where a part is bad.

    The stand-ins never escape: ``validate`` raises as soon as any issue was recorded.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[PlaybookIssue] = []

    def fail(self, path: str, message: str) -> None:
        self.issues.append(PlaybookIssue(self.source, path, message))

    # generic shapes

    def mapping(self, value: Any, path: str, required: tuple[str, ...]) -> Mapping[str, Any] | None:
        """A mapping with exactly these fields; reports unknown and missing ones."""
        if not isinstance(value, Mapping):
            self.fail(
                path, f"expected a mapping with fields {_one_of(required)}, got {_kind(value)}"
            )
            return None
        for key in value:
            if key not in required:
                self.fail(_key(path, key), f"unknown field; expected one of: {_one_of(required)}")
        for key in required:
            if key not in value:
                self.fail(_key(path, key), "missing required field")
        return value

    def sequence(self, value: Any, path: str, min_items: int, what: str) -> list[Any]:
        if value is _MISSING:
            return []
        if not isinstance(value, list | tuple):
            self.fail(path, f"expected a list of {what}, got {_kind(value)}")
            return []
        if len(value) < min_items:
            self.fail(path, f"needs at least {min_items} {what}, got {len(value)}")
        return list(value)

    def text(self, value: Any, path: str) -> Text:
        if value is _MISSING:
            return Text("", "")
        doc = self.mapping(value, path, ("ru", "en"))
        if doc is None:
            return Text("", "")
        ru = self.string(doc.get("ru", _MISSING), _key(path, "ru"))
        en = self.string(doc.get("en", _MISSING), _key(path, "en"))
        if ru and not _CYRILLIC.search(ru):
            self.fail(_key(path, "ru"), f"Russian text has no Cyrillic letters: {ru!r}")
        if en and (match := _CYRILLIC.search(en)):
            self.fail(
                _key(path, "en"), f"English text contains Cyrillic ({match.group()!r}): {en!r}"
            )
        return Text(ru, en)

    def string(self, value: Any, path: str) -> str:
        if value is _MISSING:
            return ""
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_kind(value)}")
            return ""
        if not value.strip():
            self.fail(path, "text is empty")
            return ""
        if value != value.strip():
            self.fail(path, "text has leading or trailing whitespace")
        if _PLACEHOLDER.search(value):
            self.fail(path, f"looks like a placeholder: {value!r}")
        return value

    def slug(self, value: Any, path: str) -> str:
        if value is _MISSING:
            return ""
        if not isinstance(value, str) or not _SLUG.match(value):
            self.fail(path, f"expected a code of lowercase letters, digits and _, got {value!r}")
            return ""
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...], what: str) -> str:
        if value is _MISSING:
            return ""
        if not isinstance(value, str) or value not in options:
            self.fail(path, f"unknown {what} {value!r}; expected one of: {_one_of(options)}")
            return ""
        return value

    def integer(self, value: Any, path: str, minimum: int) -> int:
        if value is _MISSING:
            return minimum
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, f"expected an integer, got {_kind(value)}")
            return minimum
        if value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def number(self, value: Any, path: str, *, minimum: float, strict: bool) -> float:
        if value is _MISSING:
            return minimum
        if not _is_number(value):
            got = repr(value) if isinstance(value, float) else _kind(value)
            self.fail(path, f"expected a finite number, got {got}")
            return minimum
        if value < minimum or (strict and value == minimum):
            bound = "greater than" if strict else "at least"
            self.fail(path, f"must be {bound} {minimum:g}, got {value}")
        return value

    def code_map(
        self, value: Any, path: str, options: tuple[str, ...], what: str
    ) -> dict[str, Any]:
        """A non-empty mapping whose keys come from a vocabulary; returns the known entries."""
        if value is _MISSING:
            return {}
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping of {what} codes, got {_kind(value)}")
            return {}
        if not value:
            self.fail(path, f"needs at least one {what}")
        known = {}
        for key, item in value.items():
            if key in options:
                known[key] = item
            else:
                self.fail(_key(path, key), f"unknown {what}; expected one of: {_one_of(options)}")
        return known

    def unique(self, codes: list[tuple[str, str]], what: str) -> None:
        first: dict[str, str] = {}
        for path, code in codes:
            if not code:
                continue
            if code in first:
                self.fail(path, f"duplicate {what} {code!r} (first at {first[code]})")
            else:
                first[code] = path

    # the document

    def playbook(self, document: Any) -> Playbook:
        doc = self.mapping(document, "", _TOP_FIELDS)
        if doc is None:
            doc = {}
        get = doc.get
        areas = self.areas(get("areas", _MISSING))
        defined_areas = frozenset(area.code for area in areas if area.code)
        networks = self.networks(get("networks", _MISSING))
        return Playbook(
            key=self.slug(get("key", _MISSING), "key"),
            version=self.integer(get("version", _MISSING), "version", 1),
            name=self.text(get("name", _MISSING), "name"),
            summary=self.text(get("summary", _MISSING), "summary"),
            goal_type=self.choice(get("goal_type", _MISSING), "goal_type", GOAL_TYPES, "goal type"),
            areas=areas,
            stages=self.stages(get("stages", _MISSING), defined_areas),
            team=self.team(get("team", _MISSING)),
            content_mix=self.content_mix(get("content_mix", _MISSING)),
            networks=networks,
            kpis=self.kpis(get("kpis", _MISSING)),
            effort=self.effort(get("effort", _MISSING), networks),
        )

    def areas(self, value: Any) -> tuple[Area, ...]:
        items = self.sequence(value, "areas", len(AREA_CODES), "areas")
        areas = tuple(self.area(item, f"areas[{i}]") for i, item in enumerate(items))
        self.unique([(f"areas[{i}].code", a.code) for i, a in enumerate(areas)], "area code")
        if isinstance(value, list | tuple):
            present = {area.code for area in areas}
            missing = [code for code in AREA_CODES if code not in present]
            if missing:
                self.fail("areas", f"missing areas: {_one_of(missing)}")
        return areas

    def area(self, value: Any, path: str) -> Area:
        doc = self.mapping(value, path, ("code", "name", "description", "raci")) or {}
        code = self.choice(doc.get("code", _MISSING), _key(path, "code"), AREA_CODES, "area")
        return Area(
            code=code,
            name=self.text(doc.get("name", _MISSING), _key(path, "name")),
            description=self.text(doc.get("description", _MISSING), _key(path, "description")),
            raci=self.raci(doc.get("raci", _MISSING), _key(path, "raci"), code),
        )

    def raci(self, value: Any, path: str, area: str) -> FrozenMap:
        entries = self.code_map(value, path, ROLES, "role")
        raci = {}
        for role, letter in entries.items():
            if letter in RACI_LETTERS:
                raci[role] = letter
            else:
                self.fail(_key(path, role), f"expected one of R, A, C, I, got {letter!r}")
        if not isinstance(value, Mapping):
            return FrozenMap(raci)
        accountable = [role for role, letter in raci.items() if letter == "A"]
        if len(accountable) != 1:
            found = f"{len(accountable)}: {_one_of(accountable)}" if accountable else "none"
            self.fail(path, f"needs exactly one A (accountable), found {found}")
        if "R" not in raci.values():
            self.fail(path, "needs at least one R (responsible)")
        if area == EXPERT_AREA and raci.get("expert") not in EXPERT_LETTERS:
            self.fail(
                _key(path, "expert"),
                "the expert must be R or C for expert knowledge: without the expert's own "
                f"stories the content loses its personality (got {raci.get('expert')!r})",
            )
        return FrozenMap(raci)

    def stages(self, value: Any, defined_areas: frozenset[str]) -> tuple[Stage, ...]:
        items = self.sequence(value, "stages", 1, "stages")
        stages = tuple(
            self.stage(item, f"stages[{i}]", defined_areas) for i, item in enumerate(items)
        )
        self.unique([(f"stages[{i}].code", s.code) for i, s in enumerate(stages)], "stage code")
        return stages

    def stage(self, value: Any, path: str, defined_areas: frozenset[str]) -> Stage:
        required = ("code", "name", "purpose", "duration_days", "area", "checklist", "deliverables")
        doc = self.mapping(value, path, required) or {}
        area = doc.get("area", _MISSING)
        if area is not _MISSING and (not isinstance(area, str) or area not in defined_areas):
            self.fail(
                _key(path, "area"),
                f"unknown area {area!r}; areas defined in this playbook: "
                f"{_one_of(sorted(defined_areas)) or 'none'}",
            )
        checklist_path = _key(path, "checklist")
        checklist = self.sequence(
            doc.get("checklist", _MISSING), checklist_path, MIN_CHECKLIST_ITEMS, "checklist items"
        )
        deliverables_path = _key(path, "deliverables")
        deliverables = self.sequence(
            doc.get("deliverables", _MISSING), deliverables_path, MIN_DELIVERABLES, "deliverables"
        )
        return Stage(
            code=self.slug(doc.get("code", _MISSING), _key(path, "code")),
            name=self.text(doc.get("name", _MISSING), _key(path, "name")),
            purpose=self.text(doc.get("purpose", _MISSING), _key(path, "purpose")),
            duration_days=self.integer(
                doc.get("duration_days", _MISSING), _key(path, "duration_days"), 1
            ),
            area=area if isinstance(area, str) else "",
            checklist=tuple(
                self.text(item, f"{checklist_path}[{i}]") for i, item in enumerate(checklist)
            ),
            deliverables=tuple(
                self.text(item, f"{deliverables_path}[{i}]") for i, item in enumerate(deliverables)
            ),
        )

    def team(self, value: Any) -> tuple[TeamScope, ...]:
        items = self.sequence(value, "team", 1, "team recommendations")
        before = len(self.issues)
        scopes = tuple(self.scope(item, f"team[{i}]") for i, item in enumerate(items))
        # Ranges are only compared once every entry is sound, so one typo is one message.
        if isinstance(value, list | tuple) and len(self.issues) == before:
            self.team_coverage(scopes)
        return scopes

    def scope(self, value: Any, path: str) -> TeamScope:
        required = ("min_networks", "max_networks", "cadence", "roles", "note")
        doc = self.mapping(value, path, required) or {}
        low = self.integer(doc.get("min_networks", _MISSING), _key(path, "min_networks"), 1)
        high = doc.get("max_networks", _MISSING)
        if high is _MISSING:
            high = None
        elif high is not None:
            high = self.integer(high, _key(path, "max_networks"), low)
        roles = {}
        for role, count in self.code_map(
            doc.get("roles", _MISSING), _key(path, "roles"), ROLES, "role"
        ).items():
            if role == "expert":
                self.fail(
                    _key(path, "roles.expert"),
                    "the expert is the client, not a member of the recommended team",
                )
                continue
            roles[role] = self.integer(count, _key(path, f"roles.{role}"), 1)
        return TeamScope(
            min_networks=low,
            max_networks=high,
            cadence=self.choice(
                doc.get("cadence", _MISSING), _key(path, "cadence"), CADENCES, "cadence"
            ),
            roles=FrozenMap(roles),
            note=self.text(doc.get("note", _MISSING), _key(path, "note")),
        )

    def team_coverage(self, scopes: tuple[TeamScope, ...]) -> None:
        """Per cadence, the ranges must cover 1, 2, 3, ... with no gap, no overlap and no end."""
        for cadence in CADENCES:
            ranges = sorted(
                (scope.min_networks, i, scope.max_networks)
                for i, scope in enumerate(scopes)
                if scope.cadence == cadence
            )
            if not ranges:
                self.fail("team", f"no recommendation for cadence {cadence!r}")
                continue
            covered_to: int | None = 0  # the highest count covered so far; None: all of them
            previous = "team"
            for low, index, high in ranges:
                path = f"team[{index}]"
                if covered_to is None or low <= covered_to:
                    top = high if covered_to is None else min(covered_to, high or covered_to)
                    span = f"{low}+" if top is None else _span(low, top)
                    self.fail(
                        path, f"networks {span} also covered by {previous} at cadence {cadence!r}"
                    )
                elif low > covered_to + 1:
                    span = _span(covered_to + 1, low - 1)
                    self.fail(path, f"networks {span} not covered at cadence {cadence!r}")
                if covered_to is not None:
                    covered_to = None if high is None else max(covered_to, high)
                previous = path
            if covered_to is not None:
                self.fail(
                    previous,
                    f"nothing covers {covered_to + 1}+ networks at cadence {cadence!r}; "
                    "the last range needs max_networks: null",
                )

    def content_mix(self, value: Any) -> tuple[Rubric, ...]:
        items = self.sequence(value, "content_mix", MIN_RUBRICS, "rubrics")
        before = len(self.issues)
        rubrics = []
        for i, item in enumerate(items):
            path = f"content_mix[{i}]"
            doc = self.mapping(item, path, ("code", "name", "share")) or {}
            rubrics.append(
                Rubric(
                    code=self.choice(
                        doc.get("code", _MISSING), _key(path, "code"), RUBRICS, "rubric"
                    ),
                    name=self.text(doc.get("name", _MISSING), _key(path, "name")),
                    share=self.integer(doc.get("share", _MISSING), _key(path, "share"), 1),
                )
            )
        self.unique([(f"content_mix[{i}].code", r.code) for i, r in enumerate(rubrics)], "rubric")
        if isinstance(value, list | tuple) and items and len(self.issues) == before:
            total = sum(r.share for r in rubrics)
            if total != 100:
                self.fail("content_mix", f"rubric shares sum to {total}, expected exactly 100")
        return tuple(rubrics)

    def networks(self, value: Any) -> tuple[NetworkPlan, ...]:
        items = self.sequence(value, "networks", 1, "networks")
        plans = []
        for i, item in enumerate(items):
            path = f"networks[{i}]"
            doc = self.mapping(item, path, ("network", "formats")) or {}
            formats_path = _key(path, "formats")
            formats = {
                fmt: self.number(per_week, _key(formats_path, fmt), minimum=0, strict=False)
                for fmt, per_week in self.code_map(
                    doc.get("formats", _MISSING), formats_path, FORMATS, "format"
                ).items()
            }
            network = self.choice(
                doc.get("network", _MISSING), _key(path, "network"), NETWORKS, "network"
            )
            plans.append(NetworkPlan(network=network, formats=FrozenMap(formats)))
        self.unique([(f"networks[{i}].network", p.network) for i, p in enumerate(plans)], "network")
        return tuple(plans)

    def kpis(self, value: Any) -> tuple[KpiTemplate, ...]:
        items = self.sequence(value, "kpis", 1, "KPI templates")
        kpis = []
        for i, item in enumerate(items):
            path = f"kpis[{i}]"
            doc = self.mapping(item, path, ("metric", "kind", "value", "window_days", "name")) or {}
            kind = self.choice(doc.get("kind", _MISSING), _key(path, "kind"), KPI_KINDS, "KPI kind")
            # "x1" is no goal at all; a multiple has to mean growth.
            minimum = 1 if kind == "multiple" else 0
            kpis.append(
                KpiTemplate(
                    metric=self.choice(
                        doc.get("metric", _MISSING), _key(path, "metric"), METRICS, "metric"
                    ),
                    kind=kind,
                    value=self.number(
                        doc.get("value", _MISSING),
                        _key(path, "value"),
                        minimum=minimum,
                        strict=True,
                    ),
                    window_days=self.integer(
                        doc.get("window_days", _MISSING), _key(path, "window_days"), 1
                    ),
                    name=self.text(doc.get("name", _MISSING), _key(path, "name")),
                )
            )
        return tuple(kpis)

    def effort(self, value: Any, networks: tuple[NetworkPlan, ...]) -> FrozenMap:
        norms = {}
        for fmt, per_role in self.code_map(value, "effort", FORMATS, "format").items():
            path = _key("effort", fmt)
            norms[fmt] = FrozenMap(
                {
                    role: self.number(hours, _key(path, role), minimum=0, strict=True)
                    for role, hours in self.code_map(per_role, path, ROLES, "role").items()
                }
            )
        if isinstance(value, Mapping):
            first_use: dict[str, str] = {}
            for i, plan in enumerate(networks):
                for fmt in plan.formats:
                    first_use.setdefault(fmt, f"networks[{i}].formats.{fmt}")
            for fmt, used_at in first_use.items():
                if fmt not in value:
                    self.fail("effort", f"no effort norm for format {fmt!r} (used at {used_at})")
        return FrozenMap(norms)
