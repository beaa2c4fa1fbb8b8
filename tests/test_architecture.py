"""The parts of ``huracan/`` import each other only as docs/ARCHITECTURE.md allows, and never in a cycle.

A part is a top-level package or module of ``huracan/`` (``market``, ``data``, ``rl``, ``config``, ...).
Its dependencies are read from the real import statements of its source files (``ast``): module level
and inside functions alike, since a lazy import is still a dependency. Imports under
``if TYPE_CHECKING:`` never run and are not counted. The allowed dependencies are the table between the
``part dependencies`` markers in docs/ARCHITECTURE.md, so the documentation is the rule.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "huracan"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
_TABLE = re.compile(r"<!-- part dependencies -->\n(.*?)<!-- end part dependencies -->", re.S)
_ROOT_PART = "huracan"  # the package itself (``huracan/__init__.py``)


def part_of(path: Path) -> str:
    """The part a source file belongs to: its top-level folder or module under ``huracan/``."""
    relative = path.relative_to(PACKAGE)
    return _ROOT_PART if relative == Path("__init__.py") else relative.parts[0].removesuffix(".py")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(tree: ast.AST) -> Iterator[str]:
    """Every module an import statement of ``tree`` names, skipping ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                yield from imported_modules(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"relative import at line {node.lineno}; Huracan imports absolutely")
            module = node.module or ""
            if module == _ROOT_PART:  # from huracan import x: x may be a part
                yield from (f"{module}.{alias.name}" for alias in node.names)
            else:
                yield module
        yield from imported_modules(node)


def _target_part(module: str) -> str | None:
    if module == _ROOT_PART:
        return _ROOT_PART
    if not module.startswith(_ROOT_PART + "."):
        return None
    name = module.split(".")[1]
    if (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file():
        return name
    return _ROOT_PART  # a name defined in huracan/__init__.py


def import_graph() -> dict[str, dict[str, set[str]]]:
    """part -> imported part -> the files (relative to the checkout) that import it."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(PACKAGE.rglob("*.py")):
        part = part_of(path)
        graph[part]  # a part importing nothing is still a part
        for module in imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            target = _target_part(module)
            if target is not None and target != part:
                graph[part][target].add(str(path.relative_to(ROOT)))
    return graph


def allowed_table(text: str) -> dict[str, set[str]]:
    """The documented table: part -> the parts it may import."""
    match = _TABLE.search(text)
    if match is None:
        raise AssertionError("docs/ARCHITECTURE.md has no table between <!-- part dependencies --> markers")
    table: dict[str, set[str]] = {}
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue  # the header and its separator
        table[cells[0].strip("`")] = set(re.findall(r"`([^`]+)`", cells[1]))
    return table


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or None when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, set[str]]]:
    return import_graph()


@pytest.fixture(scope="module")
def table() -> dict[str, set[str]]:
    return allowed_table(DOC.read_text(encoding="utf-8"))


def test_every_part_is_in_the_table(graph: dict[str, dict[str, set[str]]], table: dict[str, set[str]]) -> None:
    missing = sorted(set(graph) - set(table))
    assert not missing, f"parts missing from the dependency table in docs/ARCHITECTURE.md: {missing}"
    unknown = sorted({dep for deps in table.values() for dep in deps} - set(table))
    assert not unknown, f"the dependency table names parts it does not list: {unknown}"


def test_every_import_between_parts_is_allowed(
    graph: dict[str, dict[str, set[str]]], table: dict[str, set[str]]
) -> None:
    forbidden = [
        f"{part} -> {target} ({', '.join(sorted(files))})"
        for part, targets in sorted(graph.items())
        for target, files in sorted(targets.items())
        if target != _ROOT_PART and target not in table.get(part, set())
    ]
    assert not forbidden, "imports the table in docs/ARCHITECTURE.md does not allow:\n" + "\n".join(forbidden)


def test_no_import_cycle_between_parts(graph: dict[str, dict[str, set[str]]], table: dict[str, set[str]]) -> None:
    assert find_cycle({part: set(targets) for part, targets in graph.items()}) is None
    assert find_cycle(table) is None, "the documented table itself has a cycle"


def test_the_checks_see_lazy_imports_and_cycles() -> None:
    """The checks can fail: a lazy import counts, a type-only one does not, a cycle is found."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from huracan.registry import naming\n"
        "def f():\n    from huracan.rl.train import fit\n    import huracan.trading.env\n"
    )
    assert list(imported_modules(ast.parse(source))) == ["typing", "huracan.rl.train", "huracan.trading.env"]
    assert find_cycle({"rl": {"registry"}, "registry": {"rl", "data"}, "data": set()}) == ["registry", "rl", "registry"]
    assert find_cycle({"rl": {"data"}, "registry": {"rl", "data"}}) is None
    doc = "<!-- part dependencies -->\n| part | may import |\n|---|---|\n| `rl` | `data`, `trading` |\n| `data` | — |\n<!-- end part dependencies -->"
    assert allowed_table(doc) == {"rl": {"data", "trading"}, "data": set()}
