"""The 18 charger commands, and the commands read model.

Fleet commands answer 202 once every targeted charger's CommandQueued is committed (one transaction).
Single-charger commands are queued the same way, then wait for the bridge to report the outcome.
Each route is one short function named as OCPPLAB's SDK names the call (its operationId); what they share
(the write parameters, queueing, waiting) is in gateway.commanding.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel

from domain.commands import (
    CacheReset,
    ClearLocalAuthList,
    CommandType,
    EvRequestsEnergy,
    EvStopsEnergy,
    PlugConnector,
    UnlockConnector,
    UnplugConnector,
)
from domain.errors import ChargerNotFound, CommandNotFound
from domain.protocol import OcppVersion
from gateway.auth import Tenant
from gateway.commanding import Write, queue_fleet, run_single, snake_action
from gateway.deps import Paging, ReadCursor, fresh
from gateway.models.command_requests import (
    AuthorizeIdTagRequest,
    ClearFaultRequest,
    ConfigurationUpdateRequest,
    DropNetworkRequest,
    EmptyCommandRequest,
    EvTargetSocRequest,
    FailFirmwareRequest,
    FailUploadRequest,
    InjectFaultRequest,
    LocalAuthListRequest,
    PowerUpdateRequest,
    ProxyMessageRequest,
    ReportSecurityEventRequest,
    StartSessionRequest,
    StartTransactionRequest,
    StopSessionRequest,
    StopTransactionRequest,
    UnifiedConnectorRequest,
)
from gateway.models.commands import (
    CacheResetResponse,
    ChargerLogEntry,
    CommandDetail,
    CommandTimeoutBody,
    ConfigurationChangeResponse,
    FaultOperationResponse,
    LocalListMutationResponse,
    LocationCommandResponse,
    QueuedCommandResponse,
    SecurityEventReportResponse,
)
from gateway.models.common import ERRORS, NUL_FREE, HttpErrorResponse, Page
from gateway.ocpp_schema import check_proxy_message
from gateway.sdk_names import sdk_operation
from infra.sql import Cursor
from projections.chargers import get_charger
from projections.commands import STATUSES, get_command, list_commands
from projections.message_log import command_frames

# A command's detail shows its row and the frames it caused: both read models must include the writes
# made before the request.
COMMAND_READ_MODELS = ("commands", "message_log")

router = APIRouter(prefix="/ocpp/commands", tags=["commands"], responses=ERRORS)


def fleet(method: str) -> dict[str, Any]:
    """Decorator arguments of a fleet command route, the SDK's `client.commands.{method}`."""
    return {
        **sdk_operation("commands", method),
        "status_code": status.HTTP_202_ACCEPTED,
        "response_model": LocationCommandResponse,
        "dependencies": [fresh("chargers", "locations")],
        "responses": {404: {"model": HttpErrorResponse, "description": "unknown charger or location"}},
    }


def single(method: str, answer: type[BaseModel]) -> dict[str, Any]:
    """Decorator arguments of a single-charger command route answering `answer`."""
    return {
        **sdk_operation("commands", method),
        "status_code": status.HTTP_200_OK,
        "response_model": answer,
        "dependencies": [fresh("chargers")],
        "responses": {
            404: {"model": HttpErrorResponse, "description": "unknown charger"},
            422: {"description": "invalid body, or the command cannot apply to the charger in its state"},
            504: {"model": CommandTimeoutBody, "description": "no outcome in time"},
        },
    }


# --- fleet commands: a charger, a location, or some chargers of a location -----------------------------


@router.post("/plug-connector", **fleet("plug_connector"))
def plug_connector(body: UnifiedConnectorRequest, write: Write) -> Response:
    """Plug the EV cable into a connector."""
    return queue_fleet(write, body.target, PlugConnector(**body.event.connector_fields()))


@router.post("/unplug-connector", **fleet("unplug_connector"))
def unplug_connector(body: UnifiedConnectorRequest, write: Write) -> Response:
    """Unplug the EV cable (ends a running transaction as EV-side disconnect)."""
    return queue_fleet(write, body.target, UnplugConnector(**body.event.connector_fields()))


@router.post("/unlock-connector", **fleet("unlock_connector"))
def unlock_connector(body: UnifiedConnectorRequest, write: Write) -> Response:
    """Unlock a connector's cable."""
    return queue_fleet(write, body.target, UnlockConnector(**body.event.connector_fields()))


@router.post("/start-transaction", **fleet("start_transaction"))
def start_transaction(body: StartTransactionRequest, write: Write) -> Response:
    """Start a transaction on a connector with an id tag."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/stop-transaction", **fleet("stop_transaction"))
def stop_transaction(body: StopTransactionRequest, write: Write) -> Response:
    """Stop a transaction: the one named by `transaction_id`, else the one on `connector_id` (default 1)."""
    if body.event.transaction_id is None:
        return queue_fleet(write, body.target, body.event.payload())
    return queue_fleet(write, body.target, body.event.payload(), holding=body.event.transaction_id)


@router.post("/start-session", **fleet("start_session"))
def start_session(body: StartSessionRequest, write: Write) -> Response:
    """Plug, authorize, start and charge; optional auto-stop by duration or energy."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/stop-session", **fleet("stop_session"))
def stop_session(body: StopSessionRequest, write: Write) -> Response:
    """Stop the transaction and unplug."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/authorize-id-tag", **fleet("authorize_id_tag"))
def authorize_id_tag(body: AuthorizeIdTagRequest, write: Write) -> Response:
    """Present an id tag to the charger (Authorize)."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/ev-requests-energy", **fleet("ev_requests_energy"))
def ev_requests_energy(body: UnifiedConnectorRequest, write: Write) -> Response:
    """The EV resumes drawing power (SuspendedEV → Charging)."""
    return queue_fleet(write, body.target, EvRequestsEnergy(**body.event.connector_fields()))


@router.post("/ev-stops-energy", **fleet("ev_stops_energy"))
def ev_stops_energy(body: UnifiedConnectorRequest, write: Write) -> Response:
    """The EV stops drawing power (Charging → SuspendedEV)."""
    return queue_fleet(write, body.target, EvStopsEnergy(**body.event.connector_fields()))


@router.post("/power-update", **fleet("power_update"))
def power_update(body: PowerUpdateRequest, write: Write) -> Response:
    """Change the power the charger offers on a connector."""
    return queue_fleet(write, body.target, body.event.payload())


# --- ours: charger-side failures a test causes (issue 11 item 8) -------------------------------------


@router.post("/fail-firmware", **fleet("fail_firmware"))
def fail_firmware(body: FailFirmwareRequest, write: Write) -> Response:
    """Ours: the next `times` firmware download tries (`stage: download`) or installations
    (`stage: install`) fail: DownloadFailed once the CSMS's retries are used up, InstallationFailed."""
    return queue_fleet(write, body.target, body.event)


@router.post("/fail-upload", **fleet("fail_upload"))
def fail_upload(body: FailUploadRequest, write: Write) -> Response:
    """Ours: the next `times` diagnostics / log upload tries fail (UploadFailed / UploadFailure)."""
    return queue_fleet(write, body.target, body.event)


@router.post("/drop-network", **fleet("drop_network"))
def drop_network(body: DropNetworkRequest, write: Write) -> Response:
    """Ours: the charger's network drops for `seconds` (simulated): the connection is cut without a
    WebSocket close, the charger runs on offline and reconnects once the network is back."""
    return queue_fleet(write, body.target, body.event)


@router.post("/ev-target-soc", **fleet("ev_target_soc"))
def ev_target_soc(body: EvTargetSocRequest, write: Write) -> Response:
    """Ours: the EV on the connector (or the next one plugged in) stops drawing energy at `target_soc`
    percent state of charge (SuspendedEV); `soc` sets its state of charge now."""
    return queue_fleet(write, body.target, body.event)


# --- single-charger commands: wait for the outcome ---------------------------------------------------


@router.post("/proxy-message", **single("proxy_message", QueuedCommandResponse))
def proxy_message(body: ProxyMessageRequest, write: Write) -> Response:
    """Send a raw OCPP call from the charger; `event_type` and `payload` of the answer are the call's,
    `response` the CSMS reply."""
    event = body.event

    def as_proxied(command: QueuedCommandResponse) -> QueuedCommandResponse:
        # As OCPPLAB answers: the proxied action in snake_case and its payload (our command's own
        # event_type and payload are in GET /ocpp/commands/{id}).
        return command.model_copy(update={"event_type": snake_action(event.action), "payload": event.payload})

    return run_single(
        write, body.target, event.to_payload(), QueuedCommandResponse, check_proxy_message, as_proxied
    )


@router.post("/configuration", **single("set_configuration", ConfigurationChangeResponse))
def set_configuration(body: ConfigurationUpdateRequest, write: Write) -> Response:
    """Change configuration keys (1.6) / variables (2.0.1)."""
    return run_single(write, body.target, body.event.payload(), ConfigurationChangeResponse)


@router.post("/cache/reset", **single("reset_auth_cache", CacheResetResponse))
def reset_auth_cache(body: EmptyCommandRequest, write: Write) -> Response:
    """Clear the charger's authorization cache."""
    return run_single(write, body.target, CacheReset(), CacheResetResponse)


@router.post("/local-auth-list", **single("send_local_list", LocalListMutationResponse))
def send_local_list(body: LocalAuthListRequest, write: Write) -> Response:
    """Replace (Full, the default) or update (Differential) the local authorization list."""
    return run_single(write, body.target, body.event.payload(), LocalListMutationResponse)


@router.post("/clear-local-auth-list", **single("clear_local_list", LocalListMutationResponse))
def clear_local_list(body: EmptyCommandRequest, write: Write) -> Response:
    """Empty the local authorization list (its version resets to 0)."""
    return run_single(write, body.target, ClearLocalAuthList(), LocalListMutationResponse)


@router.post("/inject-fault", **single("inject_fault", FaultOperationResponse))
def inject_fault(body: InjectFaultRequest, write: Write) -> Response:
    """Raise a fault on a connector (0 = whole charger)."""
    return run_single(write, body.target, body.event.payload(), FaultOperationResponse)


@router.post("/clear-fault", **single("clear_fault", FaultOperationResponse))
def clear_fault(body: ClearFaultRequest, write: Write) -> Response:
    """Clear a fault; the connector returns to its previous status."""
    return run_single(write, body.target, body.event.payload(), FaultOperationResponse)


@router.post("/report-security-event", **single("report_security_event", SecurityEventReportResponse))
def report_security_event(body: ReportSecurityEventRequest, write: Write) -> Response:
    """Ours: the charger reports a security event (SecurityEventNotification), as if it happened: Sent,
    Queued (critical, while offline: delivered after the next boot), NotSent (offline, not critical) or
    NotSupported (an event 1.6 does not have)."""
    return run_single(write, body.target, body.event.payload(), SecurityEventReportResponse)


# --- queueing and waiting ------------------------------------------------------------------------------


# --- the commands read model (ours) -----------------------------------------------------------------


@router.get(
    "/{command_id}",
    dependencies=[fresh(*COMMAND_READ_MODELS)],
    responses={404: {"description": "unknown command"}},
)
def get_command_detail(command_id: UUID, tenant: Tenant, cur: ReadCursor) -> CommandDetail:
    row = get_command(cur, tenant, str(command_id))
    if row is None:
        raise CommandNotFound(f"command {command_id} not found")
    return command_detail(row, cur)


@router.get("", dependencies=[fresh(*COMMAND_READ_MODELS)])
def get_commands(
    tenant: Tenant,
    cur: ReadCursor,
    paging: Paging,
    charger_id: Annotated[
        str | None, Query(description="charger id or OCPP identity", max_length=64, pattern=NUL_FREE)
    ] = None,
    location_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    event_type: Annotated[CommandType | None, Query()] = None,
) -> Page[CommandDetail]:
    rows, total = list_commands(
        cur,
        tenant,
        paging.limit,
        paging.offset,
        charger_id=None if charger_id is None else _charger_filter(cur, tenant, charger_id),
        location_id=None if location_id is None else str(location_id),
        status=status,
        event_type=None if event_type is None else event_type.value,
    )
    return Page(
        data=[command_detail(r, cur) for r in rows], total=total, page=paging.page, limit=paging.limit
    )


def _charger_filter(cur: Cursor, tenant: str, charger_id: str) -> str:
    """The charger id a filter names: a charger's id or identity, or the id of a deleted charger."""
    row = get_charger(cur, tenant, charger_id)
    if row is not None:
        return str(row["id"])
    try:
        return str(UUID(charger_id))
    except ValueError:
        raise ChargerNotFound(f"charger {charger_id} not found") from None


def command_detail(row: dict[str, Any], cur: Cursor) -> CommandDetail:
    return CommandDetail(
        id=row["id"],
        event_type=row["event_type"],
        ocpp_version=OcppVersion(row["ocpp_version"]).wire,
        payload=row["payload"],
        status=row["status"],
        charger_id=row["charger_id"],
        identity=row["charger_identity"],
        location_id=row["location_id"],
        origin=row["origin"],
        requested_by=row["requested_by"],
        batch_id=row["batch_id"],
        idempotency_key=row["idempotency_key"],
        queued_at=row["queued_at"],
        dispatched_at=row["dispatched_at"],
        completed_at=row["completed_at"],
        result=row["result"],
        error=row["error"],
        frames=[ChargerLogEntry.model_validate(f) for f in command_frames(cur, row["id"])],
    )
