"""The package's rooms and what each may import (docs/architecture.md, The map).

domain (the top-level modules) <- platforms, store, engine <- service <- api <- serve <- cli
(and service <- consume <- cli): a room
imports only the rooms its row allows, and no module imports itself back through
others. Every import counts, also those inside functions or under TYPE_CHECKING: a
cycle hidden in a function is still a cycle for whoever reads the code.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import agentactivity

PACKAGE = Path(agentactivity.__file__).parent
DOMAIN = "domain"

# room -> the rooms it may import (itself included).
ALLOWED: dict[str, set[str]] = {
    DOMAIN: {DOMAIN},
    "platforms": {DOMAIN, "platforms"},
    "engine": {DOMAIN, "engine"},
    "store": {DOMAIN, "platforms", "store"},
    "service": {DOMAIN, "platforms", "engine", "store", "service"},
    "dashboard": {DOMAIN, "dashboard"},
    "api": {DOMAIN, "platforms", "engine", "store", "service", "dashboard", "api"},
    "consume": {DOMAIN, "platforms", "engine", "store", "service", "consume"},
    "serve": {DOMAIN, "platforms", "engine", "store", "service", "dashboard", "api", "serve"},
    "cli": {
        *(DOMAIN, "platforms", "engine", "store", "service", "dashboard", "api"),
        *("consume", "serve", "cli"),
    },
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports, anywhere in its file."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + [base] * bool(base))
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            # The longest prefix that is one of our modules ("from x import name" names
            # either a module or something defined in x).
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in known:
                    # A module's own package (its __init__) is not a dependency of it.
                    if candidate != name and not name.startswith(candidate + "."):
                        found.add(candidate)
                    break
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return DOMAIN  # agentactivity/__init__.py
    if (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return DOMAIN


def test_the_graph_sees_imports_of_every_kind() -> None:
    graph = import_graph()
    # A function-local import (the worker imports the service when it starts)...
    assert "agentactivity.service" in graph["agentactivity.serve.worker"]
    # ...and a module-level one.
    assert "agentactivity.events" in graph["agentactivity.engine.core"]


def test_no_import_cycle_between_modules() -> None:
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        pytest.fail("import cycle: " + " -> ".join(cycle))


def test_every_room_is_known() -> None:
    rooms = {room(module) for module in import_graph()}
    assert rooms <= set(ALLOWED), f"a package without a row in ALLOWED: {rooms - set(ALLOWED)}"


def test_each_room_imports_only_the_rooms_below_it() -> None:
    wrong = sorted(
        f"{module} ({room(module)}) imports {target} ({room(target)})"
        for module, targets in import_graph().items()
        for target in targets
        if room(target) not in ALLOWED[room(module)]
    )
    assert not wrong, "\n".join(wrong)


def test_the_rooms_themselves_form_no_cycle() -> None:
    graph = {name: allowed - {name} for name, allowed in ALLOWED.items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle


def test_each_package_says_what_it_is_for_and_what_it_may_import() -> None:
    for name in ALLOWED:
        if name == DOMAIN:
            continue
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc, f"agentactivity/{name}/__init__.py has no docstring"
        assert "import" in doc.lower(), (
            f"agentactivity/{name}/__init__.py does not say what it imports"
        )
