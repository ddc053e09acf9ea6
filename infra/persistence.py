"""The eventsourcing library's environment for the chosen backend.

Always explicit: the library's default is an in-memory store. PostgreSQL goes through this layer's own
factory (`infra.postgres`), which picks the recorder tuned for large saves and sets up the pool.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

POSTGRES_FACTORY_TOPIC = "infra.postgres:LedgerPostgresFactory"


def persistence_env(
    database_url: str | None,
    *,
    schema: str | None,
    sqlite_path: Path,
    pool_size: int,
    aggregate_cache_size: int,
) -> dict[str, str]:
    """SQLite at `sqlite_path` when `database_url` is unset or sqlite://, else PostgreSQL at it (in
    `schema`, or the URL's `?schema=`, or public)."""
    env = {
        "AGGREGATE_CACHE_MAXSIZE": str(aggregate_cache_size),
        # Intent aggregates are written through one Ledger per process; a stale cached copy
        # loses on the store's version check and is reloaded (see Ledger.transact).
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "CREATE_TABLE": "n",  # tables are created by one explicit step (`ocpp-ledger db upgrade`)
    }
    url = urlparse(database_url or "")
    if not database_url or url.scheme == "sqlite":
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(sqlite_path),
            SQLITE_LOCK_TIMEOUT="30",
        )
        return env
    query = parse_qs(url.query)
    env.update(
        PERSISTENCE_MODULE=POSTGRES_FACTORY_TOPIC,
        POSTGRES_DBNAME=unquote(url.path.lstrip("/")) or "postgres",
        POSTGRES_HOST=url.hostname or "127.0.0.1",
        POSTGRES_PORT=str(url.port or 5432),
        POSTGRES_USER=unquote(url.username or "postgres"),
        POSTGRES_PASSWORD=unquote(url.password or ""),
        POSTGRES_SCHEMA=schema or query.get("schema", ["public"])[0],
        POSTGRES_POOL_SIZE=str(pool_size),
        POSTGRES_MAX_OVERFLOW=str(pool_size),
        POSTGRES_CONNECT_TIMEOUT="5",
        POSTGRES_PRE_PING="y",
        POSTGRES_LOCK_TIMEOUT="10",
    )
    return env
