"""OpenAPI names as OCPPLAB's SDK has them, so that a client generated from our /openapi.json has the
SDK's groups, methods and types: each operation is tagged with the SDK client's group, its operationId is
`{group}_{method}`, and Fern's own extensions name the group and method outright."""

from __future__ import annotations

from typing import Any


def sdk_operation(group: str, method: str) -> dict[str, Any]:
    """Route decorator arguments for the SDK's `client.{group}.{method}(...)`."""
    return {
        "operation_id": f"{group}_{method}",
        "openapi_extra": {"x-fern-sdk-group-name": group, "x-fern-sdk-method-name": method},
    }
