"""The charger core and the pure modules of each version import nothing that does I/O (the import-linter
contract in pyproject.toml checks the same, transitively, in `make lint`): no asyncio, no sockets, no ocpp
library, no store, none of the shell."""

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
PURE = (
    "ocpp_bridge.core",
    "ocpp_bridge.core.configuration",
    "ocpp_bridge.v16.rules",
    "ocpp_bridge.v16.csms_answers",
    "ocpp_bridge.v201.rules",
    "ocpp_bridge.v201.csms_answers",
    "ocpp_bridge.v201.display_messages",
    "ocpp_bridge.v201.customer_information",
)


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def test_no_module_of_the_core_imports_io_or_the_shell() -> None:
    package = Path(ocpp_bridge.core.__file__).parent.parent
    core = sorted((package / "core").rglob("*.py"))
    versions = [
        package / version / f"{name}.py" for version in ("v16", "v201") for name in ("rules", "csms_answers")
    ] + [package / "v201" / f"{name}.py" for name in ("display_messages", "customer_information")]
    assert len(core) > 3
    for module in core + versions:
        for name in imports(module):
            assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), f"{module.name}: {name}"
            if name.startswith(SHELL):
                assert name.startswith(PURE), f"{module.name} imports the shell: {name}"
