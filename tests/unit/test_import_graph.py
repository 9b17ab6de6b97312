"""The convrec packages import each other without cycles; evaluation never imports the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

from convrec_kit.settings import REPO_ROOT

SERVICES = REPO_ROOT / "services"
PACKAGES = sorted(p.name for p in SERVICES.glob("convrec_*") if (p / "__init__.py").exists())


def imported_packages(path: Path) -> set[str]:
    """The convrec packages a file imports anywhere in it (module level or inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


def graph() -> dict[str, set[str]]:
    return {
        package: set().union(*(imported_packages(f) for f in (SERVICES / package).rglob("*.py"))) - {package}
        for package in PACKAGES
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that returns to its start, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target, [*path, target])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_graph_is_read_from_the_sources():
    edges = graph()
    assert {"convrec_cli", "convrec_eval", "convrec_kit", "convrec_build"} <= set(edges)
    assert "convrec_eval" in edges["convrec_cli"]  # `convrec eval` is a CLI command
    assert "convrec_build" in edges["convrec_eval"]  # evaluations build their catalogs


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_evaluation_does_not_import_the_cli():
    assert "convrec_cli" not in graph()["convrec_eval"]


def test_the_shared_kit_imports_no_other_convrec_package():
    assert graph()["convrec_kit"] == set()


def test_no_import_cycle_between_packages():
    assert find_cycle(graph()) is None
