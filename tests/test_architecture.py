"""The code's map stays a map: dependencies point one way (bot <- channels <- console), no module imports itself
back through others, and no project import hides inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("bot", "channels", "console")  # each may import the ones before it, never the ones after


def _modules() -> Dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str:
    """The project module `name` refers to (a package's __init__ for `from bot import db` when db is a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str, path: Path) -> Iterator[Tuple[str, int, bool]]:
    """(imported project module, line, inside a function) for every import of `module`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions |= {id(child) for child in ast.walk(node) if child is not node}
    for node in ast.walk(tree):
        names: List[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            target = _resolve(name)
            if target and target != module:
                yield target, node.lineno, id(node) in functions


def _graph() -> Dict[str, Set[str]]:
    return {module: {target for target, _, _ in _imports(module, path)} for module, path in MODULES.items()}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_the_project_modules_are_found():
    assert {"bot.erasure", "channels.inbound", "console.routes.review"} <= set(MODULES)
    assert "bot.db" in _graph()["bot.erasure"]


def test_no_module_imports_a_higher_layer():
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_project_import_inside_a_function():
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for module, path in MODULES.items()
        for target, line, in_function in _imports(module, path)
        if in_function
    ]
    assert hidden == []


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    # Tarjan's strongly connected components: any component of two or more modules is a cycle.
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def _readme_table_paths() -> List[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    paths = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        folder = ""
        for item in re.findall(r"`([^`]+)`", line.split("|")[1]):
            if "/" in item:
                folder = item if item.endswith("/") else item.rpartition("/")[0] + "/"
                paths.append(item)
            else:
                paths.append(folder + item)
    return paths


def test_the_readme_architecture_table_matches_the_tree():
    paths = _readme_table_paths()
    assert [path for path in paths if not (ROOT / path).exists()] == []
    named = {path.rstrip("/") for path in paths}
    unnamed = [
        str(path.relative_to(ROOT))
        for package in LAYERS
        for path in sorted((ROOT / package).glob("*.py"))
        if path.stem not in ("__init__", "__main__")
        and str(path.relative_to(ROOT)) not in named
        and str(path.parent.relative_to(ROOT)) not in named
    ]
    assert unnamed == []
