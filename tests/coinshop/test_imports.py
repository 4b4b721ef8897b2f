"""Imports point one way (DESIGN.md): accounts <- wallet <- gifts <- videos <- payouts <- coinshop.closing, and no
module imports itself back through others (counting imports inside functions too: they are loops all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["notifications", "accounts", "wallet", "gifts", "videos", "posts", "supporters", "payouts"]  # bottom to top
TOP = {"coinshop.closing", "coinshop.closing_views", "coinshop.urls", "coinshop.views", "coinshop.admin"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for top in [*APPS, "coinshop"]:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" not in path.parts and "management" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every project module ``name`` imports, at the top or inside a function (not under TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    if module in TOP:
        return len(APPS)
    head = module.split(".")[0]
    return APPS.index(head) if head in APPS else None


def test_apps_import_only_the_apps_below_them() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if (low := _layer(module)) is not None and (high := _layer(target)) is not None and high > low
    ]
    assert upward == []


def test_no_module_imports_itself_back() -> None:
    """Strongly connected modules, by Tarjan's algorithm: each must be alone (package __init__ files excepted)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH.get(node, ()):
            if MODULES[nxt].name == "__init__.py":
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                loops.append(sorted(group))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert loops == []


@pytest.mark.parametrize("module", ["wallet.providers.sandbox", "wallet.providers.stripe", "wallet.services"])
def test_providers_and_services_queue_tasks_by_name(module: str) -> None:
    assert not {t for t in GRAPH[module] if t.endswith(".tasks")}
