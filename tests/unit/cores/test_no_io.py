"""The charger core imports nothing that does I/O (the import-linter contract in pyproject.toml checks the
same, transitively, in `make lint`): no asyncio, no sockets, no ocpp library, no store, none of its shell."""

from __future__ import annotations

import ast
from pathlib import Path

import ocpp_bridge.core

FORBIDDEN = (
    "asyncio",
    "websockets",
    "ocpp",
    "infra",
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "eventsourcing.persistence",
)
SHELL = ("ocpp_bridge.",)


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def test_no_module_of_the_core_imports_io_or_its_shell() -> None:
    core = Path(ocpp_bridge.core.__file__).parent
    modules = sorted(core.rglob("*.py"))
    assert len(modules) > 3
    for module in modules:
        for name in imports(module):
            assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), f"{module.name}: {name}"
            if name.startswith(SHELL):
                assert name.startswith("ocpp_bridge.core"), f"{module.name} imports the shell: {name}"
