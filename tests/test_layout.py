"""The package layout shows the data flow: sub-packages import only downwards, never each
other's private names, and no module imports itself back through others (issue 18)."""

from __future__ import annotations

import ast
from pathlib import Path

RAG = Path(__file__).resolve().parent.parent / "rag"
# Lower layers never import higher ones. rag's top-level modules (values, errors, config,
# text_utils, plugins, cache, logsafe) are layer 0; the engine and the write jobs join the
# answering layer's parts and sit above it.
LAYERS = {"ingestion": 1, "embedders": 1, "index": 2, "answering": 3, "http": 5, "cli": 6}
TOP = {"rag.engine": 4, "rag.jobs": 4}


def _name(path: Path) -> str:
    parts = list(path.relative_to(RAG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    if module in TOP:
        return TOP[module]
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def _imports(tree: ast.AST, top_level_only: bool) -> list[tuple[str, str]]:
    """(module, imported name) of the runtime imports (never those under TYPE_CHECKING)."""
    found = []

    def visit(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("rag"):
                found.extend((child.module, a.name) for a in child.names)
            elif isinstance(child, ast.Import):
                found.extend((a.name, "") for a in child.names if a.name.startswith("rag"))
            elif not (top_level_only and isinstance(child, ast.FunctionDef | ast.ClassDef)):
                visit(child, depth + 1)

    visit(tree, 0)
    return found


def _graph(top_level_only: bool) -> dict[str, set[tuple[str, str]]]:
    modules = {_name(p): p for p in RAG.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        edges = set()
        for module, imported in _imports(ast.parse(path.read_text()), top_level_only):
            full = f"{module}.{imported}"
            edges.add((full if full in modules else module, imported))
        graph[name] = edges
    return graph


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        (a, b)
        for a, edges in _graph(top_level_only=False).items()
        for b, _ in edges
        if _layer(b) > _layer(a)
    ]
    assert not upward


def test_no_sub_package_uses_another_ones_private_names() -> None:
    leaks = [
        (a, f"{b}:{name}")
        for a, edges in _graph(top_level_only=False).items()
        for b, name in edges
        if name.startswith("_")
        and not name.startswith("__")
        and a.split(".")[:2] != b.split(".")[:2]
    ]
    assert not leaks


def test_no_import_cycles_at_module_level() -> None:
    graph = {a: {b for b, _ in edges} for a, edges in _graph(top_level_only=True).items()}
    state: dict[str, int] = {}
    cycles = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt in graph and not state.get(nxt):
                walk(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            walk(node, [node])
    assert not cycles


def test_every_sub_package_says_what_it_owns_and_may_import() -> None:
    for package in LAYERS:
        doc = ast.get_docstring(ast.parse((RAG / package / "__init__.py").read_text())) or ""
        assert "import" in doc and len(doc) > 80, package
