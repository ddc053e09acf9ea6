"""Read model of provisioning jobs (bulk charger creation in a location)."""

from __future__ import annotations

from typing import Any

from domain.jobs import ProvisioningJob
from infra.sql import Cursor, Row, dumps, iso, loads
from projections.runner import Projection, handles


class JobsProjection(Projection):
    name = "jobs"
    tables = ("provisioning_jobs",)

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS provisioning_jobs ("
            "id TEXT PRIMARY KEY, tenant TEXT NOT NULL, location_id TEXT NOT NULL, "
            "job_type TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, "
            "failed TEXT NOT NULL, completed_at TEXT NOT NULL, position BIGINT NOT NULL)"
        )

    @handles(ProvisioningJob.Completed)
    def job_completed(self, e: Any, cur: Cursor, position: int) -> None:
        created = [c.model_dump(mode="json") for c in e.created]
        failed = [{"identity": f.identity, "error": {"code": f.code, "message": f.message}} for f in e.failed]
        status = "FAILED" if failed and not created else "COMPLETED"
        cur.execute(
            "INSERT INTO provisioning_jobs (id, tenant, location_id, job_type, status, created, failed, "
            "completed_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                str(e.originator_id),
                e.tenant,
                str(e.location_id),
                e.job_type,
                status,
                dumps(created),
                dumps(failed),
                iso(e.timestamp),
                position,
            ],
        )


def get_job(cur: Cursor, tenant: str, location_id: str, job_id: str) -> Row | None:
    row = cur.execute(
        "SELECT * FROM provisioning_jobs WHERE tenant = %s AND location_id = %s AND id = %s",
        [tenant, location_id, job_id],
    ).fetchone()
    if row is None:
        return None
    row["created"] = loads(row["created"])
    row["failed"] = loads(row["failed"])
    return row
