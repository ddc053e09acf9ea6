"""The one Settings class of ocpp-ledger: every knob is an environment variable with the LEDGER_ prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.persistence import persistence_env


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str | None = Field(
        None, description="unset: SQLite file under var_dir; postgresql://user:pw@host:port/db for production"
    )
    database_schema: str | None = Field(None, description="PostgreSQL schema (default public)")
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8080
    pool_size: int = Field(10, ge=1)
    aggregate_cache_size: int = Field(100_000, ge=100)
    command_timeout_seconds: float = Field(10.0, gt=0)
    read_barrier_seconds: float = Field(5.0, ge=0, description="how long a read waits for projections")
    projection_poll_seconds: float = Field(1.0, gt=0, description="poll for other processes' writes")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    rate_limit_per_second: float = Field(
        200.0, ge=0, description="requests per second per API token (token bucket); 0 turns the limit off"
    )
    rate_limit_burst: int = Field(400, ge=1, description="requests an idle API token may send at once")
    clock_speed: float = Field(1.0, gt=0, description="simulated seconds per real second (tests, demos)")
    ocpp_response_timeout: float = Field(30.0, gt=0, description="seconds to wait for a CSMS answer")
    reconnect_initial_seconds: float = Field(1.0, gt=0, description="first reconnect back-off (simulated s)")
    reconnect_max_seconds: float = Field(60.0, gt=0, description="longest reconnect back-off (simulated s)")
    lease_ttl_seconds: float = Field(15.0, gt=0, description="a dead bridge's chargers move after this long")
    log_format: Literal["text", "json"] = Field("text", description="json: one JSON object per log line")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value and urlparse(value).scheme not in ("postgresql", "postgres", "sqlite"):
            raise ValueError("LEDGER_DATABASE_URL must be postgresql://… or sqlite:///path")
        return value or None

    @property
    def is_postgres(self) -> bool:
        return bool(self.database_url) and urlparse(self.database_url or "").scheme != "sqlite"

    @property
    def sqlite_path(self) -> Path:
        if self.database_url:
            return Path(unquote(urlparse(self.database_url).path))
        return self.var_dir / "ledger.sqlite3"

    def persistence_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for the chosen backend."""
        return persistence_env(
            self.database_url,
            schema=self.database_schema,
            sqlite_path=self.sqlite_path,
            pool_size=self.pool_size,
            aggregate_cache_size=self.aggregate_cache_size,
        )
