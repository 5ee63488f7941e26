"""Imports follow the declared order of the apps (``zveno/config/layers.py``), with no file loops.

Every module under ``src/zveno`` is parsed with ``ast``; every import of a ``zveno`` module counts,
at the top of a file or deferred into a function body. A failure names the file and the line.
Run as a script to print the counts (loops between apps and files, imports against the order,
deferred imports, files over 600 lines).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

from zveno.config import layers  # noqa: E402  (plain module, no Django needed)

PACKAGE = SRC / "zveno"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported zveno module
    line: int
    deferred: bool  # inside a function body

    def where(self) -> str:
        return f"{path_of(self.source).relative_to(SRC.parent)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


MODULES = modules()


def path_of(module: str) -> Path:
    return MODULES[module]


def _resolve(name: str) -> str | None:
    """The longest known module that ``name`` starts with."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[Import] = []

    def visit(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = _resolve(alias.name) if alias.name.startswith("zveno") else None
                    if target:
                        found.append(Import(module, target, child.lineno, deferred))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)]
                    full = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    full = child.module or ""
                if full == "zveno" or full.startswith("zveno."):
                    for alias in child.names:
                        submodule = f"{full}.{alias.name}"
                        target = submodule if submodule in MODULES else _resolve(full)
                        if target:
                            found.append(Import(module, target, child.lineno, deferred))
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, deferred or inner)

    visit(tree, False)
    return found


def all_imports() -> list[Import]:
    return [found for module in MODULES for found in imports_of(module)]


@dataclass(frozen=True)
class Place:
    unit: str  # an app of layers.APPS or a package of layers.ABOVE
    rank: int
    edge: bool
    above: bool


def place(module: str) -> Place:
    parts = module.split(".")
    unit = layers.ROOT_MODULES.get(module) or parts[1]
    order = [*layers.APPS, *layers.ABOVE]
    if unit not in order:
        raise AssertionError(f"{module}: {unit!r} has no place in zveno/config/layers.py")
    above = unit in layers.ABOVE
    edge = not above and any(part in layers.EDGE for part in parts[2:])
    return Place(unit, order.index(unit), edge, above)


def against_order(found: Import) -> str | None:
    """Why this import goes against the declared order, or None."""
    src, dst = place(found.source), place(found.target)
    if src.unit == dst.unit:
        if not src.edge and dst.edge:
            return f"{src.unit} reaches its own edge ({found.target}) from its domain"
        return None
    if src.above:
        return None if dst.rank < src.rank else f"{src.unit} imports {dst.unit}, which is above it"
    if dst.above:
        return f"{src.unit} imports {dst.unit}, which sits above the apps"
    if src.edge:  # pages may use any app's domain, and the edge helpers of the apps below
        if dst.edge and dst.rank > src.rank:
            return f"{found.source} imports the edge of {dst.unit}, which comes after it"
        return None
    if dst.edge:
        return f"{src.unit} imports the edge of {dst.unit} ({found.target}) from its domain"
    if dst.rank > src.rank:
        return f"{src.unit} imports {dst.unit}, which comes after it in the order"
    return None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def file_cycles(found: list[Import]) -> list[list[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for one in found:
        if one.source != one.target:
            graph[one.source].add(one.target)
    return _cycles(graph)


def app_graph(found: list[Import]) -> dict[str, set[str]]:
    """Which app's domain imports which (the edge may reach any app, so it makes no loop)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for one in found:
        src, dst = place(one.source), place(one.target)
        if src.unit != dst.unit and not src.edge and not src.above:
            graph[src.unit].add(dst.unit)
    return graph


def test_every_package_has_a_place():
    declared = {*layers.APPS, *layers.ABOVE}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages <= declared, f"declare {sorted(packages - declared)} in zveno/config/layers.py"


def test_no_import_goes_against_the_declared_order():
    problems = [f"{one.where()}: {why}" for one in all_imports() if (why := against_order(one))]
    assert not problems, "imports against the declared order:\n" + "\n".join(problems)


def test_no_file_imports_itself_through_a_loop():
    found = all_imports()
    lines = []
    for cycle in file_cycles(found):
        members = set(cycle)
        edges = [one.where() + f" → {one.target}" for one in found
                 if one.source in members and one.target in members]  # fmt: skip
        lines.append(" ↔ ".join(cycle) + "\n    " + "\n    ".join(edges))
    assert not lines, "file-level import loops:\n" + "\n".join(lines)


def test_the_apps_form_no_loop():
    assert not _cycles(app_graph(all_imports()))


def test_imports_sit_at_the_top_of_their_files():
    """A zveno import inside a function hid a loop once; only ``AppConfig.ready`` defers one
    (registering into a seam must wait until every app is loaded)."""
    late = [f"{one.where()} → {one.target}" for one in all_imports()
            if one.deferred and not one.source.endswith(".apps")]  # fmt: skip
    assert not late, "move these imports to the top of their files:\n" + "\n".join(late)


def test_the_checker_sees_deferred_and_relative_imports(tmp_path):
    """The parser finds an import in a function body and resolves a relative one."""
    found = imports_of("zveno.config.urls") + imports_of("zveno.core.apps")
    assert found, "the parser found no zveno import where there are some"
    tree_module = "zveno.team.health"
    assert place(tree_module) == Place("team", layers.APPS.index("team"), False, False)
    assert place("zveno.analytics.views.goals").edge
    assert against_order(Import("zveno.team.models", "zveno.content.models", 1, True))
    assert against_order(Import("zveno.core.apps", "zveno.config.settings", 1, True))
    assert against_order(Import("zveno.team.services", "zveno.team.views", 1, False))
    assert not against_order(Import("zveno.team.views", "zveno.analytics.selectors", 1, True))
    assert against_order(Import("zveno.team.views", "zveno.analytics.views", 1, False))
    assert not against_order(Import("zveno.team.views", "zveno.core.forms", 1, False))


def counts() -> dict[str, int]:
    found = all_imports()
    every: dict[str, set[str]] = defaultdict(set)  # edge modules included
    for one in found:
        every[place(one.source).unit].add(place(one.target).unit)
    domain = app_graph(found)

    def mutual(graph: dict[str, set[str]]) -> int:
        return sum(1 for a in graph for b in graph[a] if a < b and a in graph.get(b, ()))

    return {
        "app pairs importing each other (any module)": mutual(every),
        "app pairs importing each other (domain modules)": mutual(domain),
        "app loops (domain modules)": len(_cycles(domain)),
        "file loops": len(file_cycles(found)),
        "imports against the order": sum(1 for one in found if against_order(one)),
        "deferred zveno imports": sum(1 for one in found if one.deferred),
        "deferred, outside AppConfig.ready": sum(
            1 for one in found if one.deferred and not one.source.endswith(".apps")
        ),
        "files over 600 lines": sum(
            1 for path in MODULES.values() if len(path.read_text().splitlines()) > 600
        ),
    }


if __name__ == "__main__":
    for name, value in counts().items():
        print(f"{name}: {value}")  # noqa: T201
    for one in all_imports():
        if why := against_order(one):
            print(f"  {one.where()}: {why}")  # noqa: T201
