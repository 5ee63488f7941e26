"""Pure rules of the responsibility matrix: defaults from a playbook, the cycle, the diff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zveno.team.models import CYCLE, normalise_letters

# Who takes an area when nobody on the team holds any role the playbook names for it.
FALLBACK_ROLES = ("smm", "producer")


def default_letters(raci: Mapping[str, str], roles: Iterable[str]) -> str:
    """The union of the playbook's letters for every role a person holds."""
    return normalise_letters("".join(raci.get(role, "") for role in roles))


def next_letters(current: str) -> str:
    current = normalise_letters(current)
    position = CYCLE.index(current) if current in CYCLE else 0
    return CYCLE[(position + 1) % len(CYCLE)]


@dataclass(frozen=True)
class DiffLine:
    """One change between two agreement versions."""

    kind: str  # "changed", "member_added", "member_removed", "area_added", "area_removed"
    area: str  # area name ('' for member lines)
    person: str  # member name ('' for area lines)
    before: str
    after: str


def diff(old: dict | None, new: dict, language: str = "ru") -> list[DiffLine]:
    """What changed from one agreement snapshot to the next, in reading order."""
    old = old or {"areas": [], "members": [], "cells": {}}
    name_key = "name_en" if language == "en" else "name_ru"
    areas_old = {a["code"]: a[name_key] for a in old["areas"]}
    areas_new = {a["code"]: a[name_key] for a in new["areas"]}
    people_old = {str(m["id"]): m["name"] for m in old["members"]}
    people_new = {str(m["id"]): m["name"] for m in new["members"]}
    lines: list[DiffLine] = []
    for mid, name in people_new.items():
        if mid not in people_old:
            lines.append(DiffLine("member_added", "", name, "", ""))
    for mid, name in people_old.items():
        if mid not in people_new:
            lines.append(DiffLine("member_removed", "", name, "", ""))
    for code, name in areas_new.items():
        if code not in areas_old:
            lines.append(DiffLine("area_added", name, "", "", ""))
    for code, name in areas_old.items():
        if code not in areas_new:
            lines.append(DiffLine("area_removed", name, "", "", ""))
    for code, area_name in areas_new.items():
        before_row = old["cells"].get(code, {})
        after_row = new["cells"].get(code, {})
        for mid, person in people_new.items():  # people of the new version, in team order
            before, after = before_row.get(mid, ""), after_row.get(mid, "")
            if before != after:
                lines.append(DiffLine("changed", area_name, person, before, after))
    return lines
