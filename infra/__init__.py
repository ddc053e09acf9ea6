"""The bottom layer: database plumbing and library patches, used by every package above it.

- `persistence`: the eventsourcing environment for SQLite or PostgreSQL
- `postgres`: the PostgreSQL factory and the recorder tuned for large saves
- `transcoding`: how ids and pydantic values are encoded in stored events
- `sql`: read-model SQL on the ledger's own pool, for both backends, and reads of the notification log
- `listen`: PostgreSQL LISTEN/NOTIFY wake-ups from other processes' saves
- `health`: is the database there (a probe on its own connection)
- `patches`: every patch of a library's private parts, each checked against the versions it was written for

It imports nothing of domain, projections, gateway, ocpp_bridge or replays (import-linter holds it).
"""
