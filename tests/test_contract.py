"""The wrapper and FakeParagon stand on the generated contract alone, and the wrapper's modules import one way.

These read the source (ast), so they hold for code paths no other test happens to run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from useparagon_api.operations import OPERATIONS

PACKAGE = Path(__file__).resolve().parents[1] / "wrapper" / "useparagon"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def _route_literals(path: Path) -> list[str]:
    tree = _tree(path)
    templates = {operation.path for operation in OPERATIONS}
    return [
        f"{path.name}:{line}: {text!r}"
        for line, text in _strings(tree)
        # Help texts may say "(GET /sdk/me)"; a path to send or route starts at /projects/ (or /v2/projects/).
        if "/projects/" in text or text in templates
    ]


def test_neither_package_types_a_route() -> None:
    """Paths and methods come from ``useparagon_api.operations``; a typed path would drift from the spec."""
    found = [literal for path in SOURCES for literal in _route_literals(path)]
    assert found == []


def test_the_route_check_sees_a_typed_route(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""GET /projects/{projectId}/sdk/me in a docstring is fine."""\nROUTE = f"/projects/{p}/sdk/me"\n'
    )
    assert _route_literals(sample) == ["sample.py:2: '/projects/'"]


def _private_generated_names(path: Path) -> list[str]:
    tree = _tree(path)
    generated: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("useparagon_api"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{path.name}:{node.lineno}: {node.module}.{alias.name}")
                generated.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            generated.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.startswith("useparagon_api")
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in generated
            and node.attr.startswith("_")
        ):
            found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_only_public_generated_names_are_used() -> None:
    """openapi-python-client's underscore names are its templates' internals, free to change between releases."""
    assert [name for path in SOURCES for name in _private_generated_names(path)] == []


def test_the_private_name_check_sees_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from useparagon_api.api.users import get_user\nget_user._get_kwargs('p')\n")
    assert _private_generated_names(sample) == ["sample.py:2: get_user._get_kwargs"]


def _runtime_imports(path: Path) -> set[str]:
    """Sibling modules ``path`` imports when it is imported (TYPE_CHECKING blocks and imports inside functions,
    which run only when called, are left out)."""
    tree = _tree(path)
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(node, block, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return found


@pytest.mark.parametrize("package", [PACKAGE, PACKAGE / "testing"], ids=["useparagon", "useparagon.testing"])
def test_no_import_cycle(package: Path) -> None:
    graph = {path.stem: _runtime_imports(path) for path in package.glob("*.py")}
    graph = {module: {target for target in targets if target in graph} for module, targets in graph.items()}
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def walk(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target] if target in trail else [module, target])
            elif target not in state:
                walk(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state and module != "__init__":
            walk(module, [module])
    assert cycles == []


def test_the_proxy_methods_are_the_spec_catch_all_operations() -> None:
    """``HTTPMethod`` (what ``request()`` and ``paragon request`` accept) is the methods the spec's Proxy API has."""
    from useparagon._constants import PROXY_METHODS

    assert sorted(PROXY_METHODS) == sorted(op.method for op in OPERATIONS if op.catch_all is not None)
