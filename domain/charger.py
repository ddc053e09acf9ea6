"""The Charger aggregate (intent: what was asked of a charger); its identity index is `domain.identity`.

Every accepted API command is a `CommandQueued` event on its charger's stream. What the charger then did
is recorded on its ChargePoint aggregate by the bridge (see `domain.chargepoint`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlparse
from uuid import UUID

from eventsourcing.domain import event
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from domain.aggregates import LedgerAggregate, topic
from domain.catalog import ChargerModel
from domain.commands import (
    RUNTIME_COMMANDS,
    CommandPayload,
    CommandTarget,
    CommandType,
    Rejection,
    TargetKind,
)
from domain.errors import ChargerNotFound, InvalidRequest
from domain.protocol import OcppVersion

IDENTITY_PATTERN = r"^[A-Za-z0-9*_=:+|@.\-]{1,48}$"
Identity = Annotated[
    str,
    StringConstraints(pattern=IDENTITY_PATTERN),
    Field(description="OCPP charge point identity: 1-48 of A-Z a-z 0-9 * - _ = : + | @ ."),
]


IDENTITY_PLACEHOLDER = "{identity}"


def _check_ws_url(value: str) -> str:
    if value.count(IDENTITY_PLACEHOLDER) > 1:
        raise ValueError("may place the identity ({identity}) only once")
    if "{" in value.replace(IDENTITY_PLACEHOLDER, "") or "}" in value.replace(IDENTITY_PLACEHOLDER, ""):
        raise ValueError("the only placeholder a CSMS URL may hold is {identity}")
    placed = IDENTITY_PLACEHOLDER in value
    if placed and IDENTITY_PLACEHOLDER in urlparse(value).netloc:
        raise ValueError("{identity} belongs in the path or the query, not in the host")
    url = urlparse(value.replace(IDENTITY_PLACEHOLDER, "CP"))
    if url.scheme not in ("ws", "wss") or not url.hostname:
        raise ValueError("must be a ws:// or wss:// URL with a host")
    if url.fragment:
        raise ValueError("must not carry a fragment")
    if url.query and not placed:
        raise ValueError(
            "must not carry a query unless it places the identity with {identity} "
            "(without {identity} the identity is appended as a path segment)"
        )
    return value


def csms_url(ws_url: str, identity: str) -> str:
    """The URL a charger connects to: its `ws_url` with `{identity}` replaced (percent-encoded in a query),
    or, without the placeholder, `ws_url + "/" + identity`."""
    if IDENTITY_PLACEHOLDER not in ws_url:
        return ws_url.rstrip("/") + "/" + identity
    in_query = "?" in ws_url and ws_url.index("?") < ws_url.index(IDENTITY_PLACEHOLDER)
    return ws_url.replace(IDENTITY_PLACEHOLDER, quote(identity, safe="") if in_query else identity)


WsUrl = Annotated[
    str,
    StringConstraints(max_length=512),
    AfterValidator(_check_ws_url),
    Field(
        description="ws:// or wss:// URL of the CSMS. The identity is appended as a path segment, or goes "
        "where the URL says {identity}: ws://host/ocpp/{identity}/ or ws://host/ocpp?cp={identity}"
    ),
]
ChargerName = Annotated[str, StringConstraints(min_length=1, max_length=200)]

# OCPP security profiles 1 and 2 (1.6 security whitepaper, 2.0.1 SecurityCtrlr.BasicAuthPassword): HTTP Basic
# `identity:password` on the WebSocket upgrade, the password 16 to 40 characters.
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 16, 40
BasicAuthPassword = Annotated[
    str,
    StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    Field(
        description="OCPP security profile 1 (ws://) or 2 (wss://): HTTP Basic identity:password on the "
        "WebSocket upgrade; 16-40 characters. Write-only: never returned, redacted in exported recordings",
        json_schema_extra={"format": "password", "writeOnly": True},
    ),
]
REDACTED = "***"


class ChargerSettings(BaseModel):
    """The user-editable settings of a charger, recorded whole in each update.

    `tls_verify` and `basic_auth_password` came later: they default so that older events still decode. The
    password is checked (16-40 characters) when it is set, not when an event is decoded, because an exported
    recording carries it redacted. It is kept out of `repr` so that it never reaches a log line.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ChargerName
    connector_type: str
    ocpp_version: OcppVersion
    ws_url: WsUrl
    tls_verify: bool = True
    basic_auth_password: str | None = Field(None, repr=False)

    @model_serializer(mode="wrap")
    def _without_unused_security(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out while at their defaults: the event is then exactly what it was before these fields
        # existed, so a process still running the previous release (a rolling upgrade) decodes it too.
        data: dict[str, Any] = handler(self)
        if data.get("tls_verify") is True:
            del data["tls_verify"]
        if data.get("basic_auth_password", "") is None:
            del data["basic_auth_password"]
        return data

    @property
    def security_profile(self) -> int:
        """0: no HTTP Basic auth; 1: Basic auth over ws://; 2: Basic auth over wss:// (TLS)."""
        if self.basic_auth_password is None:
            return 0
        return 2 if urlparse(self.ws_url).scheme == "wss" else 1


class ChargerSpec(BaseModel):
    """What the catalog said about the model when the charger was registered (facts do not change
    when the catalog does)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    brand_slug: str
    model_slug: str
    vendor_name: str
    model_name: str
    current_type: str
    connector_count: int
    connector_types: tuple[str, ...]
    max_power_w: int

    @classmethod
    def of(cls, model: ChargerModel) -> ChargerSpec:
        return cls(
            brand_slug=model.brand_slug,
            model_slug=model.slug,
            vendor_name=model.brand.name,
            model_name=model.name,
            current_type=model.current_type,
            connector_count=model.connector_count,
            connector_types=model.connector_types,
            max_power_w=model.max_power_w,
        )


class CommandRejected(Exception):
    """A command cannot apply to this charger: a per-charger failure of a fan-out, not an HTTP error."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


class RuntimeRequested(LedgerAggregate.Event):
    """What a request to start, stop or restart a charger's runtime records (the fields of a command)."""

    command_id: UUID
    target: CommandTarget
    requested_by: str
    origin: str
    batch_id: UUID
    idempotency_key: str | None


class Charger(LedgerAggregate):
    TOPIC = topic("Charger")

    class Created(LedgerAggregate.Created):
        TOPIC = topic("Charger.Created")

    class Registered(Created):
        TOPIC = topic("Charger.Registered")
        tenant: str
        identity: str
        spec: ChargerSpec
        settings: ChargerSettings
        location_id: UUID | None
        requested_by: str
        job_id: UUID | None

    @event(Registered)
    def __init__(
        self,
        tenant: str,
        identity: str,
        spec: ChargerSpec,
        settings: ChargerSettings,
        location_id: UUID | None,
        requested_by: str,
        job_id: UUID | None,
    ) -> None:
        self.tenant = tenant
        self.identity = identity
        self.spec = spec
        self.settings = settings
        self.location_id = location_id
        self.job_id = job_id
        self.running = True  # a registered charger is started by the bridge that picks it up
        self.deleted = False

    @classmethod
    def register(
        cls,
        tenant: str,
        identity: str,
        model: ChargerModel,
        settings: ChargerSettings,
        location_id: UUID | None,
        requested_by: str,
        job_id: UUID | None = None,
    ) -> Charger:
        spec = ChargerSpec.of(model)
        check_settings(spec, settings, identity)
        return cls(
            tenant=tenant,
            identity=identity,
            spec=spec,
            settings=settings,
            location_id=location_id,
            requested_by=requested_by,
            job_id=job_id,
        )

    def check_owned_by(self, tenant: str) -> None:
        if self.deleted or self.tenant != tenant:
            raise ChargerNotFound(f"charger {self.id} not found")

    def update(self, settings: ChargerSettings, requested_by: str) -> None:
        check_settings(self.spec, settings, self.identity)
        if settings != self.settings:
            self._updated(settings=settings, requested_by=requested_by)

    class Updated(LedgerAggregate.Event):
        TOPIC = topic("Charger.Updated")
        settings: ChargerSettings
        requested_by: str

    @event(Updated)
    def _updated(self, settings: ChargerSettings, requested_by: str) -> None:
        self.settings = settings

    def move_to(self, location_id: UUID | None, requested_by: str) -> None:
        if location_id != self.location_id:
            self._moved(location_id=location_id, requested_by=requested_by)

    class Moved(LedgerAggregate.Event):
        TOPIC = topic("Charger.Moved")
        location_id: UUID | None
        requested_by: str

    @event(Moved)
    def _moved(self, location_id: UUID | None, requested_by: str) -> None:
        self.location_id = location_id

    def delete(self, requested_by: str) -> None:
        self._deleted(requested_by=requested_by)

    class Deleted(LedgerAggregate.Event):
        TOPIC = topic("Charger.Deleted")
        requested_by: str

    @event(Deleted)
    def _deleted(self, requested_by: str) -> None:
        self.deleted = True

    def queue(
        self,
        command_id: UUID,
        payload: CommandPayload,
        target_kind: TargetKind,
        requested_by: str,
        origin: str,
        batch_id: UUID,
        idempotency_key: str | None = None,
    ) -> None:
        """Queue a command for the bridge, or raise CommandRejected if it cannot apply here."""
        rejection = self.rejection(payload)
        if rejection is not None:
            raise CommandRejected(rejection)
        target = CommandTarget(
            tenant=self.tenant,
            kind=target_kind,
            charger_identity=self.identity,
            location_id=self.location_id,
            ocpp_version=self.settings.ocpp_version,
        )
        runtime = {
            CommandType.START_CHARGER: self._runtime_start_requested,
            CommandType.STOP_CHARGER: self._runtime_stop_requested,
            CommandType.RESTART_CHARGER: self._runtime_restart_requested,
        }
        record = runtime.get(payload.event_type) or partial(
            self._command_queued, event_type=payload.event_type, payload=payload
        )
        record(
            command_id=command_id,
            target=target,
            requested_by=requested_by,
            origin=origin,
            batch_id=batch_id,
            idempotency_key=idempotency_key,
        )

    def rejection(self, payload: CommandPayload) -> Rejection | None:
        if payload.event_type in RUNTIME_COMMANDS:
            return None  # starting a running charger or stopping a stopped one is harmless
        if not self.running:
            return Rejection(
                code="charger_stopped", message="charger is stopped; start it with start-charger"
            )
        return payload.rejection(self.settings.ocpp_version, self.spec.connector_count)

    class CommandQueued(LedgerAggregate.Event):
        TOPIC = topic("Charger.CommandQueued")
        command_id: UUID
        event_type: CommandType
        payload: CommandPayload
        target: CommandTarget
        requested_by: str
        origin: str
        batch_id: UUID
        idempotency_key: str | None

    @event(CommandQueued)
    def _command_queued(
        self,
        command_id: UUID,
        event_type: CommandType,
        payload: CommandPayload,
        target: CommandTarget,
        requested_by: str,
        origin: str,
        batch_id: UUID,
        idempotency_key: str | None,
    ) -> None:
        pass  # a queued command changes nothing the gateway decides with; the bridge acts on it

    class RuntimeStartRequested(RuntimeRequested):
        TOPIC = topic("Charger.RuntimeStartRequested")

    @event(RuntimeStartRequested)
    def _runtime_start_requested(
        self,
        command_id: UUID,
        target: CommandTarget,
        requested_by: str,
        origin: str,
        batch_id: UUID,
        idempotency_key: str | None,
    ) -> None:
        self.running = True

    class RuntimeStopRequested(RuntimeRequested):
        TOPIC = topic("Charger.RuntimeStopRequested")

    @event(RuntimeStopRequested)
    def _runtime_stop_requested(
        self,
        command_id: UUID,
        target: CommandTarget,
        requested_by: str,
        origin: str,
        batch_id: UUID,
        idempotency_key: str | None,
    ) -> None:
        self.running = False

    class RuntimeRestartRequested(RuntimeRequested):
        TOPIC = topic("Charger.RuntimeRestartRequested")

    @event(RuntimeRestartRequested)
    def _runtime_restart_requested(
        self,
        command_id: UUID,
        target: CommandTarget,
        requested_by: str,
        origin: str,
        batch_id: UUID,
        idempotency_key: str | None,
    ) -> None:
        self.running = True


def check_settings(spec: ChargerSpec, settings: ChargerSettings, identity: str) -> None:
    if settings.connector_type not in spec.connector_types:
        raise InvalidRequest(
            f"connector_type {settings.connector_type!r} is not offered by "
            f"{spec.brand_slug}/{spec.model_slug} (offers {', '.join(spec.connector_types)})",
            field="connector_type",
        )
    password = settings.basic_auth_password
    if password is not None:  # the message never repeats the password
        if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
            raise InvalidRequest(
                f"basic_auth_password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters "
                f"(it has {len(password)})",
                field="basic_auth_password",
            )
        if ":" in identity:
            raise InvalidRequest(
                f"identity {identity!r} contains ':', which HTTP Basic auth cannot carry as a user id",
                field="basic_auth_password",
            )
