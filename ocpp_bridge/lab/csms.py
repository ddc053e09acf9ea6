"""A small CSMS on the `ocpp` library's server side (schema validation on), for local use and tests.

It accepts OCPP 1.6 and 2.0.1 charge points at ws://host:port/<anything>/<identity>[/] (or with the identity
in a `cp` query parameter, ws://host:port/<anything>?cp=<identity>), answers every
charge-point call sensibly (boot Accepted, tags Accepted unless told otherwise, transaction ids), keeps
what it received, and can call the charge points (RemoteStart, Reset, …). Tests read its log and count
the schema violations it saw: any CALLERROR it had to send for a malformed call.

Given an SSL context it serves wss:// instead; given `basic_auth` (identity → password) it demands HTTP Basic
auth on the upgrade (OCPP security profiles 1 and 2) and answers 401 to a missing or wrong one. A
SignCertificate is signed by its throwaway CA (`ca`, ocpp_bridge.lab.csms_ca) and sent back in a
CertificateSigned; a server context that requires client certificates issued by that CA is security
profile 3 (`client_certificates` keeps the subject each charger presented).
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.exceptions import InternalError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as Csms16Base
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as Csms201Base
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from websockets.asyncio.server import Server, ServerConnection
from websockets.exceptions import InvalidHeader
from websockets.headers import parse_authorization_basic
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from domain.protocol import OcppVersion
from ocpp_bridge.lab.csms_ca import CertificateAuthority
from ocpp_bridge.lab.faultproxy import identity_of
from ocpp_bridge.runtime.connection import CALLERROR, parse_frame
from ocpp_bridge.runtime.security import SERVER_LOGGER
from ocpp_bridge.runtime.unsupported import answer_unsupported_actions

log = logging.getLogger(__name__)

VIOLATIONS = {
    "FormatViolation",
    "FormationViolation",
    "PropertyConstraintViolation",
    "OccurrenceConstraintViolation",
    "OccurenceConstraintViolation",
    "TypeConstraintViolation",
    "ProtocolError",
}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Behaviour:
    """How the CSMS answers; tests change it to provoke the cases they check."""

    boot_status: str = "Accepted"
    heartbeat_interval: int = 60
    rejected_tags: set[str] = field(default_factory=set)
    answer_delay: float = 0.0
    slow_actions: dict[str, float] = field(default_factory=dict)  # action → seconds before answering
    # action → how many of its next calls are answered CALLERROR InternalError (counts down): a CSMS that
    # fails to process a message, as CitrineOS did with a TransactionEvent.
    failing_actions: dict[str, int] = field(default_factory=dict)
    # tag → its parent (1.6 parentIdTag) or group (2.0.1 groupIdToken), told in the Authorize answer
    parent_tags: dict[str, str] = field(default_factory=dict)
    sign_status: str = "Accepted"  # the answer to SignCertificate; Accepted: a CertificateSigned follows
    tamper_signed: bool = False  # sign another key than the CSR's (a charger must reject the chain)
    send_signed: bool = True  # False: accept SignCertificate but never answer it (the charger retries)


@dataclass(frozen=True)
class Received:
    identity: str
    version: str
    action: str
    payload: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Frame:
    identity: str
    direction: str  # "cp_to_csms" / "csms_to_cp"
    raw: str
    at: float


class _ServerSeam:
    """Record every frame the CSMS sees or sends, and the schema violations it answers."""

    def __init__(self, ws: ServerConnection, csms: Csms, identity: str) -> None:
        self.ws, self.csms, self.identity = ws, csms, identity

    async def recv(self) -> str:
        raw = await self.ws.recv()
        raw = raw.decode() if isinstance(raw, bytes) else raw
        self.csms._frame(Frame(self.identity, "cp_to_csms", raw, asyncio.get_running_loop().time()))
        return raw

    async def send(self, raw: str) -> None:
        message_type, _, frame = parse_frame(raw)
        if message_type == CALLERROR and frame[2] in VIOLATIONS:
            self.csms.violations.append((self.identity, raw))
            log.warning("schema violation from %s: %s", self.identity, raw)
        self.csms._frame(Frame(self.identity, "csms_to_cp", raw, asyncio.get_running_loop().time()))
        await self.ws.send(raw)


class _Handlers:
    id: str  # the charge point's identity, set by the ocpp library's ChargePoint
    csms: Csms
    version: str
    call: Callable[..., Awaitable[Any]]  # the ocpp library's ChargePoint.call

    async def _seen(self, action: str, payload: dict[str, Any]) -> None:
        delay = self.csms.behaviour.slow_actions.get(action, self.csms.behaviour.answer_delay)
        await self.csms._received(
            Received(self.id, self.version, action, payload, asyncio.get_running_loop().time())
        )
        if delay:
            await asyncio.sleep(delay)
        failing = self.csms.behaviour.failing_actions
        if failing.get(action, 0) > 0:
            failing[action] -= 1
            raise InternalError(description=f"{action} could not be processed (test CSMS)")

    def _send_signed(self, csr: str, certificate_type: str | None = None) -> None:
        """After our answer to SignCertificate: sign the CSR with the CA, send CertificateSigned."""
        csms = self.csms
        if csms.behaviour.sign_status != "Accepted" or not csms.behaviour.send_signed:
            return
        chain = csms.ca.sign(csr, tamper=csms.behaviour.tamper_signed)
        if self.version == "1.6":
            request: Any = call16.CertificateSigned(certificate_chain=chain)
        else:
            request = call201.CertificateSigned(certificate_chain=chain, certificate_type=certificate_type)

        async def send() -> None:
            try:
                answer = await self.call(request, suppress=False)
            except Exception as error:  # the charger went away: a test reads `signed`
                csms.signed.append((self.id, f"{type(error).__name__}: {error}"))
            else:
                csms.signed.append((self.id, answer.status))
            await csms._notify()

        csms._background.add(task := asyncio.create_task(send()))
        task.add_done_callback(csms._background.discard)


class Csms16(_Handlers, Csms16Base):
    version = "1.6"

    @on(Action16.boot_notification)
    async def on_boot(self, **payload: Any) -> result16.BootNotification:
        await self._seen("BootNotification", payload)
        b = self.csms.behaviour
        return result16.BootNotification(
            current_time=now(), interval=b.heartbeat_interval, status=b.boot_status
        )

    @on(Action16.heartbeat)
    async def on_heartbeat(self, **payload: Any) -> result16.Heartbeat:
        await self._seen("Heartbeat", payload)
        return result16.Heartbeat(current_time=now())

    @on(Action16.status_notification)
    async def on_status(self, **payload: Any) -> result16.StatusNotification:
        await self._seen("StatusNotification", payload)
        return result16.StatusNotification()

    @on(Action16.authorize)
    async def on_authorize(self, **payload: Any) -> result16.Authorize:
        await self._seen("Authorize", payload)
        info = {"status": self.csms.tag_status(payload["id_tag"])}
        if parent := self.csms.behaviour.parent_tags.get(payload["id_tag"]):
            info["parent_id_tag"] = parent
        return result16.Authorize(id_tag_info=info)

    @on(Action16.start_transaction)
    async def on_start(self, **payload: Any) -> result16.StartTransaction:
        await self._seen("StartTransaction", payload)
        return result16.StartTransaction(
            transaction_id=next(self.csms.transaction_ids),
            id_tag_info={"status": self.csms.tag_status(payload["id_tag"])},
        )

    @on(Action16.stop_transaction)
    async def on_stop(self, **payload: Any) -> result16.StopTransaction:
        await self._seen("StopTransaction", payload)
        tag = payload.get("id_tag")
        return result16.StopTransaction(
            id_tag_info=None if tag is None else {"status": self.csms.tag_status(tag)}
        )

    @on(Action16.meter_values)
    async def on_meter_values(self, **payload: Any) -> result16.MeterValues:
        await self._seen("MeterValues", payload)
        return result16.MeterValues()

    @on(Action16.data_transfer)
    async def on_data_transfer(self, **payload: Any) -> result16.DataTransfer:
        await self._seen("DataTransfer", payload)
        return result16.DataTransfer(status="Accepted", data=payload.get("data"))

    @on(Action16.diagnostics_status_notification)
    async def on_diagnostics(self, **payload: Any) -> result16.DiagnosticsStatusNotification:
        await self._seen("DiagnosticsStatusNotification", payload)
        return result16.DiagnosticsStatusNotification()

    @on(Action16.firmware_status_notification)
    async def on_firmware(self, **payload: Any) -> result16.FirmwareStatusNotification:
        await self._seen("FirmwareStatusNotification", payload)
        return result16.FirmwareStatusNotification()

    # The security whitepaper's notifications.
    @on(Action16.signed_firmware_status_notification)
    async def on_signed_firmware(self, **payload: Any) -> result16.SignedFirmwareStatusNotification:
        await self._seen("SignedFirmwareStatusNotification", payload)
        return result16.SignedFirmwareStatusNotification()

    @on(Action16.security_event_notification)
    async def on_security_event(self, **payload: Any) -> result16.SecurityEventNotification:
        await self._seen("SecurityEventNotification", payload)
        return result16.SecurityEventNotification()

    @on(Action16.sign_certificate)
    async def on_sign_certificate(self, **payload: Any) -> result16.SignCertificate:
        await self._seen("SignCertificate", payload)
        return result16.SignCertificate(status=self.csms.behaviour.sign_status)

    @after(Action16.sign_certificate)
    def after_sign_certificate(self, csr: str, **_: Any) -> None:
        self._send_signed(csr)

    @on(Action16.log_status_notification)
    async def on_log_status(self, **payload: Any) -> result16.LogStatusNotification:
        await self._seen("LogStatusNotification", payload)
        return result16.LogStatusNotification()


class Csms201(_Handlers, Csms201Base):
    version = "2.0.1"

    def _token(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        token = payload.get("id_token")
        return None if token is None else {"status": self.csms.tag_status(token["id_token"])}

    @on(Action201.boot_notification)
    async def on_boot(self, **payload: Any) -> result201.BootNotification:
        await self._seen("BootNotification", payload)
        b = self.csms.behaviour
        return result201.BootNotification(
            current_time=now(), interval=b.heartbeat_interval, status=b.boot_status
        )

    @on(Action201.heartbeat)
    async def on_heartbeat(self, **payload: Any) -> result201.Heartbeat:
        await self._seen("Heartbeat", payload)
        return result201.Heartbeat(current_time=now())

    @on(Action201.status_notification)
    async def on_status(self, **payload: Any) -> result201.StatusNotification:
        await self._seen("StatusNotification", payload)
        return result201.StatusNotification()

    @on(Action201.authorize)
    async def on_authorize(self, **payload: Any) -> result201.Authorize:
        await self._seen("Authorize", payload)
        info = self._token(payload)
        if info is not None and (
            group := self.csms.behaviour.parent_tags.get(payload["id_token"]["id_token"])
        ):
            info["group_id_token"] = {"id_token": group, "type": "Central"}
        return result201.Authorize(id_token_info=info)

    @on(Action201.transaction_event)
    async def on_transaction_event(self, **payload: Any) -> result201.TransactionEvent:
        await self._seen("TransactionEvent", payload)
        return result201.TransactionEvent(id_token_info=self._token(payload))

    @on(Action201.meter_values)
    async def on_meter_values(self, **payload: Any) -> result201.MeterValues:
        await self._seen("MeterValues", payload)
        return result201.MeterValues()

    @on(Action201.notify_event)
    async def on_notify_event(self, **payload: Any) -> result201.NotifyEvent:
        await self._seen("NotifyEvent", payload)
        return result201.NotifyEvent()

    @on(Action201.notify_report)
    async def on_notify_report(self, **payload: Any) -> result201.NotifyReport:
        await self._seen("NotifyReport", payload)
        return result201.NotifyReport()

    @on(Action201.notify_monitoring_report)
    async def on_notify_monitoring_report(self, **payload: Any) -> result201.NotifyMonitoringReport:
        await self._seen("NotifyMonitoringReport", payload)
        return result201.NotifyMonitoringReport()

    @on(Action201.data_transfer)
    async def on_data_transfer(self, **payload: Any) -> result201.DataTransfer:
        await self._seen("DataTransfer", payload)
        return result201.DataTransfer(status="Accepted", data=payload.get("data"))

    @on(Action201.firmware_status_notification)
    async def on_firmware(self, **payload: Any) -> result201.FirmwareStatusNotification:
        await self._seen("FirmwareStatusNotification", payload)
        return result201.FirmwareStatusNotification()

    @on(Action201.security_event_notification)
    async def on_security_event(self, **payload: Any) -> result201.SecurityEventNotification:
        await self._seen("SecurityEventNotification", payload)
        return result201.SecurityEventNotification()

    @on(Action201.log_status_notification)
    async def on_log_status(self, **payload: Any) -> result201.LogStatusNotification:
        await self._seen("LogStatusNotification", payload)
        return result201.LogStatusNotification()

    @on(Action201.report_charging_profiles)
    async def on_report_charging_profiles(self, **payload: Any) -> result201.ReportChargingProfiles:
        await self._seen("ReportChargingProfiles", payload)
        return result201.ReportChargingProfiles()

    @on(Action201.reservation_status_update)
    async def on_reservation_status_update(self, **payload: Any) -> result201.ReservationStatusUpdate:
        await self._seen("ReservationStatusUpdate", payload)
        return result201.ReservationStatusUpdate()

    @on(Action201.notify_display_messages)
    async def on_notify_display_messages(self, **payload: Any) -> result201.NotifyDisplayMessages:
        await self._seen("NotifyDisplayMessages", payload)
        return result201.NotifyDisplayMessages()

    @on(Action201.notify_customer_information)
    async def on_notify_customer_information(self, **payload: Any) -> result201.NotifyCustomerInformation:
        await self._seen("NotifyCustomerInformation", payload)
        return result201.NotifyCustomerInformation()

    @on(Action201.sign_certificate)
    async def on_sign_certificate(self, **payload: Any) -> result201.SignCertificate:
        await self._seen("SignCertificate", payload)
        return result201.SignCertificate(status=self.csms.behaviour.sign_status)

    @after(Action201.sign_certificate)
    def after_sign_certificate(self, csr: str, certificate_type: str | None = None, **_: Any) -> None:
        self._send_signed(csr, certificate_type)


class Csms:
    def __init__(
        self,
        behaviour: Behaviour | None = None,
        keep: bool = True,
        on_received: Callable[[Received], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        basic_auth: dict[str, str] | None = None,
        ca: CertificateAuthority | None = None,
    ) -> None:
        """`keep=False` keeps counters only (for large fleets); `on_received` sees every call.
        `ssl_context`: serve wss://; `basic_auth`: identity → password, demanded on every upgrade;
        `ca`: the CA that signs the chargers' CSRs (a new one by default)."""
        self._ca = ca
        self.signed: list[tuple[str, str]] = []  # (identity, the charger's CertificateSigned answer)
        self.client_certificates: dict[str, str] = {}  # identity → the subject of its TLS client certificate
        self._background: set[asyncio.Task[None]] = set()
        self.behaviour = behaviour or Behaviour()
        self.ssl_context = ssl_context
        self.basic_auth = basic_auth
        self.refused: list[tuple[str, str]] = []  # (identity, why) of upgrades refused with 401
        self.keep = keep
        self.on_received = on_received
        self.counts: dict[str, int] = {}
        self.received: list[Received] = []
        self.frames: list[Frame] = []
        self.violations: list[tuple[str, str]] = []
        self.sessions: dict[str, Any] = {}
        self.connections: dict[str, ServerConnection] = {}
        self.connects: dict[str, int] = {}
        # identity → (close code, loop time) of each ended connection; 1006: it ended without a close frame
        self.closes: dict[str, list[tuple[int | None, float]]] = {}
        self.paths: dict[str, list[str]] = {}  # each upgrade's request path (and query), per identity
        self.transaction_ids = itertools.count(1)
        self._server: Server | None = None
        self._changed: asyncio.Condition | None = None
        self.port = 0

    @property
    def ca(self) -> CertificateAuthority:
        if self._ca is None:
            self._ca = CertificateAuthority.create()
        return self._ca

    def tag_status(self, tag: str) -> str:
        return "Invalid" if tag in self.behaviour.rejected_tags else "Accepted"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._changed = asyncio.Condition()
        self._server = await websockets.serve(
            self._accept,
            host,
            port,
            subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
            compression=None,
            ping_interval=None,
            ssl=self.ssl_context,
            process_request=self._check_auth if self.basic_auth is not None else None,
            logger=SERVER_LOGGER,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        scheme = "ws" if self.ssl_context is None else "wss"
        return f"{scheme}://127.0.0.1:{self.port}/ocpp"

    async def _check_auth(self, ws: ServerConnection, request: Request) -> Response | None:
        """Security profile 1/2: the upgrade must carry HTTP Basic `identity:password`; 401 otherwise."""
        assert self.basic_auth is not None
        identity = identity_of(request.path)
        why = None
        try:
            user, password = parse_authorization_basic(request.headers["Authorization"])
        except KeyError:
            why = "no Authorization header"
        except InvalidHeader:
            why = "malformed Authorization header"
        else:
            expected = self.basic_auth.get(identity)
            if user != identity:
                why = "user id is not the charge point identity"
            elif expected is None or not hmac.compare_digest(password.encode(), expected.encode()):
                why = "wrong password"
        if why is None:
            return None
        self.refused.append((identity, why))
        await self._notify()
        response = ws.respond(401, f"{why}\n")
        response.headers["WWW-Authenticate"] = 'Basic realm="ocpp", charset="UTF-8"'
        return response

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, ws: ServerConnection) -> None:
        identity = identity_of(ws.request.path) if ws.request else "unknown"
        if ws.request:
            self.paths.setdefault(identity, []).append(ws.request.path)
        if peer := ws.transport.get_extra_info("peercert"):  # security profile 3
            self.client_certificates[identity] = ", ".join(
                f"{k}={v}" for rdn in peer.get("subject", ()) for k, v in rdn
            )
        seam = _ServerSeam(ws, self, identity)
        session: Any = (Csms201 if ws.subprotocol == "ocpp2.0.1" else Csms16)(
            identity, seam, response_timeout=10
        )
        session.csms = self
        answer_unsupported_actions(
            session, OcppVersion.V201 if ws.subprotocol == "ocpp2.0.1" else OcppVersion.V16
        )
        self.sessions[identity] = session
        self.connections[identity] = ws
        self.connects[identity] = self.connects.get(identity, 0) + 1
        await self._notify()
        try:
            await session.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.connections.get(identity) is ws:
                del self.connections[identity]
            self.closes.setdefault(identity, []).append((ws.close_code, asyncio.get_running_loop().time()))
            await self._notify()

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _received(self, item: Received) -> None:
        self.counts[item.action] = self.counts.get(item.action, 0) + 1
        if self.on_received is not None:
            self.on_received(item)
        if self.keep:
            self.received.append(item)
            await self._notify()

    def _frame(self, frame: Frame) -> None:
        if self.keep:
            self.frames.append(frame)

    # --- for tests and the CLI ---------------------------------------------------------------------

    def messages(self, identity: str, action: str | None = None) -> list[Received]:
        return [r for r in self.received if r.identity == identity and (action is None or r.action == action)]

    def actions(self, identity: str) -> list[str]:
        return [r.action for r in self.received if r.identity == identity]

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `condition()` is truthy (re-checked on each message or connection change)."""
        assert self._changed is not None
        async with self._changed:
            result = await asyncio.wait_for(self._changed.wait_for(condition), timeout)
        return result

    async def call(self, identity: str, payload: Any) -> Any:
        """A CSMS-initiated call (1.6 or 2.0.1 payload dataclass); CALLERRORs raise."""
        return await self.sessions[identity].call(payload, suppress=False)

    async def drop(self, identity: str) -> None:
        """Close the charge point's socket from the CSMS side."""
        ws = self.connections.get(identity)
        if ws is not None:
            await ws.close(code=1011, reason="dropped by test CSMS")


async def serve_forever(host: str, port: int, behaviour: Behaviour | None = None) -> None:
    csms = Csms(behaviour)
    await csms.start(host, port)
    log.info("CSMS listening on ws://%s:%d/ocpp/<identity>", host, csms.port)
    await asyncio.Future()
