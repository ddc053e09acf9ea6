"""Read model of API tokens (hashes only): for listing, and to know whether any token exists."""

from __future__ import annotations

from typing import Any

from domain.tokens import ApiToken
from infra.sql import Cursor, Row, iso
from projections.runner import Projection, handles


class TokensProjection(Projection):
    name = "tokens"
    tables = ("api_tokens",)

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS api_tokens ("
            "id TEXT PRIMARY KEY, organization TEXT, role TEXT NOT NULL, label TEXT NOT NULL, "
            "revoked BOOLEAN NOT NULL, created_at TEXT NOT NULL, position BIGINT NOT NULL)"
        )

    @handles(ApiToken.Issued)
    def token_issued(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "INSERT INTO api_tokens (id, organization, role, label, revoked, created_at, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [str(e.originator_id), e.organization, str(e.role), e.label, False, iso(e.timestamp), position],
        )

    @handles(ApiToken.Revoked)
    def token_revoked(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute("UPDATE api_tokens SET revoked = %s WHERE id = %s", [True, str(e.originator_id)])


def list_tokens(cur: Cursor) -> list[Row]:
    rows = cur.execute("SELECT * FROM api_tokens ORDER BY position").fetchall()
    for row in rows:
        row["revoked"] = bool(row["revoked"])
    return rows


def organization_exists(cur: Cursor, organization: str) -> bool:
    """An organization exists once a token was issued for it (organizations are named by their tokens)."""
    row = cur.execute("SELECT 1 AS found FROM api_tokens WHERE organization = %s LIMIT 1", [organization])
    return row.fetchone() is not None
