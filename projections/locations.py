"""Read model of locations, per tenant."""

from __future__ import annotations

from typing import Any

from domain.location import Location
from infra.sql import Cursor, Row, iso
from projections.runner import Projection, handles


class LocationsProjection(Projection):
    name = "locations"
    tables = ("locations",)

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS locations ("
            "id TEXT PRIMARY KEY, tenant TEXT NOT NULL, slug TEXT NOT NULL, name TEXT NOT NULL, "
            "address TEXT, city TEXT, country TEXT, latitude DOUBLE PRECISION, "
            "longitude DOUBLE PRECISION, timezone TEXT, owner_name TEXT, public BOOLEAN NOT NULL, "
            "status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
            "position BIGINT NOT NULL)"
        )
        cur.execute("CREATE INDEX IF NOT EXISTS locations_tenant ON locations (tenant, position)")

    @handles(Location.Created)
    def location_created(self, e: Any, cur: Cursor, position: int) -> None:
        d = e.details
        cur.execute(
            "INSERT INTO locations (id, tenant, slug, name, address, city, country, latitude, "
            "longitude, timezone, owner_name, public, status, created_at, updated_at, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'active', %s, %s, %s)",
            [
                str(e.originator_id),
                e.tenant,
                e.slug,
                d.name,
                d.address,
                d.city,
                d.country,
                d.coordinates.latitude if d.coordinates else None,
                d.coordinates.longitude if d.coordinates else None,
                d.timezone,
                d.owner_name,
                d.public,
                iso(e.timestamp),
                iso(e.timestamp),
                position,
            ],
        )

    @handles(Location.Updated)
    def location_updated(self, e: Any, cur: Cursor, position: int) -> None:
        d = e.details
        cur.execute(
            "UPDATE locations SET slug = %s, name = %s, address = %s, city = %s, country = %s, "
            "latitude = %s, longitude = %s, timezone = %s, owner_name = %s, public = %s, "
            "updated_at = %s WHERE id = %s",
            [
                e.slug,
                d.name,
                d.address,
                d.city,
                d.country,
                d.coordinates.latitude if d.coordinates else None,
                d.coordinates.longitude if d.coordinates else None,
                d.timezone,
                d.owner_name,
                d.public,
                iso(e.timestamp),
                str(e.originator_id),
            ],
        )

    @handles(Location.Deleted)
    def location_deleted(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute("DELETE FROM locations WHERE id = %s", [str(e.originator_id)])


def _public(row: Row) -> Row:
    lat, lon = row.pop("latitude"), row.pop("longitude")
    row["coordinates"] = None if lat is None else {"latitude": lat, "longitude": lon}
    row["public"] = bool(row["public"])
    row.pop("tenant", None)
    row.pop("position", None)
    return row


def get_location(cur: Cursor, tenant: str, location_id: str) -> Row | None:
    row = cur.execute(
        "SELECT * FROM locations WHERE tenant = %s AND id = %s", [tenant, location_id]
    ).fetchone()
    return None if row is None else _public(row)


def list_locations(cur: Cursor, tenant: str, limit: int, offset: int) -> tuple[list[Row], int]:
    total = cur.execute("SELECT COUNT(*) AS n FROM locations WHERE tenant = %s", [tenant]).scalar()
    rows = cur.execute(
        "SELECT * FROM locations WHERE tenant = %s ORDER BY position LIMIT %s OFFSET %s",
        [tenant, limit, offset],
    ).fetchall()
    return [_public(r) for r in rows], int(total)
