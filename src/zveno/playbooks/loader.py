"""Reading and writing playbooks as YAML.

The built-in playbooks live in ``data/<key>.yaml`` and are read once per process. ``dump`` writes
the same format the data files use, so a playbook exported from a workspace and imported again
comes back equal: ``load_text(dump(p)) == p``.
"""

from __future__ import annotations

import os
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from zveno.playbooks.schema import Playbook, PlaybookError, PlaybookIssue
from zveno.playbooks.validation import validate

BUILTIN_KEYS = ("real_estate", "info_product", "ecommerce", "expert_brand", "local_business")

DATA_DIR: Traversable = files("zveno.playbooks") / "data"

# Wide enough that no text is ever folded onto a second line: one text, one line, clean diffs.
_LINE_WIDTH = 10_000

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """Safe YAML where a key written twice in one mapping is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base constructor reports it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as the data files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def load_text(text: str, source: str = "<text>") -> Playbook:
    """Parse and validate one playbook from YAML text; ``source`` names it in error messages."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise PlaybookError([PlaybookIssue(source, "", _yaml_problem(exc))]) from exc
    return validate(document, source)


def load_file(path: str | os.PathLike[str]) -> Playbook:
    """Parse and validate one playbook file (UTF-8 YAML)."""
    return load_text(Path(path).read_text(encoding="utf-8"), source=str(path))


def dump(playbook: Playbook) -> str:
    """The playbook as YAML in the data-file format."""
    return yaml.dump(
        playbook.to_dict(),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=_LINE_WIDTH,
    )


def load_builtin() -> dict[str, Playbook]:
    """The built-in playbooks by key, in a fixed order. Read and validated once per process."""
    return {playbook.key: playbook for playbook in _builtin()}


def get_builtin(key: str) -> Playbook:
    """One built-in playbook; ``KeyError`` for an unknown key."""
    return load_builtin()[key]


@cache
def _builtin() -> tuple[Playbook, ...]:
    issues: list[PlaybookIssue] = []
    found: dict[str, Playbook] = {}
    entries = sorted(
        (entry for entry in DATA_DIR.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    for entry in entries:
        source = str(entry)
        try:
            playbook = load_text(entry.read_text(encoding="utf-8"), source)
        except PlaybookError as exc:
            issues.extend(exc.errors)
            continue
        stem = entry.name.removesuffix(".yaml")
        if playbook.key != stem:
            issues.append(
                PlaybookIssue(source, "key", f"key {playbook.key!r} does not match the file name")
            )
        elif stem not in BUILTIN_KEYS:
            issues.append(PlaybookIssue(source, "key", f"{stem!r} is not a built-in playbook key"))
        else:
            found[stem] = playbook
    for key in BUILTIN_KEYS:
        if key not in found and not any(issue.source.endswith(f"{key}.yaml") for issue in issues):
            issues.append(PlaybookIssue(str(DATA_DIR), "", f"built-in playbook {key!r} is missing"))
    if issues:
        raise PlaybookError(issues)
    return tuple(found[key] for key in BUILTIN_KEYS)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return f"invalid YAML: {exc}"
