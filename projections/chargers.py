"""Read model of chargers: settings, location membership, and identity → id resolution per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.charger import Charger
from infra.sql import Cursor, Row, iso
from projections.runner import Projection, handles


class ChargersProjection(Projection):
    name = "chargers"
    tables = ("chargers",)
    version = 2  # 2: security_profile, tls_verify (never the password: it is not a read-model value)

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS chargers ("
            "id TEXT PRIMARY KEY, tenant TEXT NOT NULL, identity TEXT NOT NULL, name TEXT NOT NULL, "
            "brand_slug TEXT NOT NULL, model_slug TEXT NOT NULL, vendor_name TEXT NOT NULL, "
            "model_name TEXT NOT NULL, current_type TEXT NOT NULL, connector_count INTEGER NOT NULL, "
            "connector_type TEXT NOT NULL, max_power_w BIGINT NOT NULL, ocpp_version TEXT NOT NULL, "
            "ws_url TEXT NOT NULL, security_profile INTEGER NOT NULL, tls_verify BOOLEAN NOT NULL, "
            "location_id TEXT, running BOOLEAN NOT NULL, "
            "job_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, position BIGINT NOT NULL)"
        )
        cur.execute("CREATE UNIQUE INDEX IF NOT EXISTS chargers_identity ON chargers (tenant, identity)")
        cur.execute(
            "CREATE INDEX IF NOT EXISTS chargers_location ON chargers (tenant, location_id, position)"
        )
        cur.execute("CREATE INDEX IF NOT EXISTS chargers_tenant ON chargers (tenant, position)")

    @handles(Charger.Registered)
    def charger_registered(self, e: Any, cur: Cursor, position: int) -> None:
        spec, settings = e.spec, e.settings
        cur.execute(
            "INSERT INTO chargers (id, tenant, identity, name, brand_slug, model_slug, vendor_name, "
            "model_name, current_type, connector_count, connector_type, max_power_w, ocpp_version, "
            "ws_url, security_profile, tls_verify, location_id, running, job_id, created_at, updated_at, "
            "position) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                str(e.originator_id),
                e.tenant,
                e.identity,
                settings.name,
                spec.brand_slug,
                spec.model_slug,
                spec.vendor_name,
                spec.model_name,
                spec.current_type,
                spec.connector_count,
                settings.connector_type,
                spec.max_power_w,
                str(settings.ocpp_version),
                settings.ws_url,
                settings.security_profile,
                settings.tls_verify,
                None if e.location_id is None else str(e.location_id),
                True,
                None if e.job_id is None else str(e.job_id),
                iso(e.timestamp),
                iso(e.timestamp),
                position,
            ],
        )

    @handles(Charger.Updated)
    def charger_updated(self, e: Any, cur: Cursor, position: int) -> None:
        s = e.settings
        cur.execute(
            "UPDATE chargers SET name = %s, connector_type = %s, ocpp_version = %s, ws_url = %s, "
            "security_profile = %s, tls_verify = %s, updated_at = %s WHERE id = %s",
            [
                s.name,
                s.connector_type,
                str(s.ocpp_version),
                s.ws_url,
                s.security_profile,
                s.tls_verify,
                iso(e.timestamp),
                str(e.originator_id),
            ],
        )

    @handles(Charger.Moved)
    def charger_moved(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE chargers SET location_id = %s, updated_at = %s WHERE id = %s",
            [None if e.location_id is None else str(e.location_id), iso(e.timestamp), str(e.originator_id)],
        )

    @handles(Charger.RuntimeStartRequested, Charger.RuntimeRestartRequested)
    def charger_runtime_started(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute("UPDATE chargers SET running = %s WHERE id = %s", [True, str(e.originator_id)])

    @handles(Charger.RuntimeStopRequested)
    def charger_runtime_stopped(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute("UPDATE chargers SET running = %s WHERE id = %s", [False, str(e.originator_id)])

    @handles(Charger.Deleted)
    def charger_deleted(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute("DELETE FROM chargers WHERE id = %s", [str(e.originator_id)])


def _clean(row: Row) -> Row:
    row["running"] = bool(row["running"])
    row["tls_verify"] = bool(row["tls_verify"])
    return row


def get_charger(cur: Cursor, tenant: str, id_or_identity: str) -> Row | None:
    """A charger by its id or, failing that, by its OCPP identity (the API accepts both)."""
    row = cur.execute(
        "SELECT * FROM chargers WHERE tenant = %s AND id = %s", [tenant, id_or_identity]
    ).fetchone()
    if row is None:
        row = cur.execute(
            "SELECT * FROM chargers WHERE tenant = %s AND identity = %s", [tenant, id_or_identity]
        ).fetchone()
    return None if row is None else _clean(row)


def list_chargers(
    cur: Cursor,
    tenant: str,
    limit: int,
    offset: int,
    location_id: str | None = None,
    charger_ids: Sequence[str] = (),
) -> tuple[list[Row], int]:
    where, params = _filter(tenant, location_id, charger_ids)
    total = cur.execute(f"SELECT COUNT(*) AS n FROM chargers WHERE {where}", params).scalar()
    rows = cur.execute(
        f"SELECT * FROM chargers WHERE {where} ORDER BY position LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return [_clean(r) for r in rows], int(total)


def charger_refs(cur: Cursor, tenant: str, location_id: str, charger_ids: Sequence[str] = ()) -> list[Row]:
    """(id, identity) of the chargers of a location, optionally only those named by id or identity."""
    where, params = _filter(tenant, location_id, charger_ids)
    return cur.execute(
        f"SELECT id, identity FROM chargers WHERE {where} ORDER BY position",
        params,
    ).fetchall()


def _filter(tenant: str, location_id: str | None, charger_ids: Sequence[str]) -> tuple[str, list[Any]]:
    where, params = "tenant = %s", [tenant]
    if location_id is not None:
        where += " AND location_id = %s"
        params.append(location_id)
    if charger_ids:
        marks = ", ".join(["%s"] * len(charger_ids))
        where += f" AND (id IN ({marks}) OR identity IN ({marks}))"
        params += [*charger_ids, *charger_ids]
    return where, params


def known_identities(cur: Cursor, tenant: str, identities: Sequence[str]) -> set[str]:
    if not identities:
        return set()
    marks = ", ".join(["%s"] * len(identities))
    rows = cur.execute(
        f"SELECT identity FROM chargers WHERE tenant = %s AND identity IN ({marks})",
        [tenant, *identities],
    ).fetchall()
    return {r["identity"] for r in rows}
