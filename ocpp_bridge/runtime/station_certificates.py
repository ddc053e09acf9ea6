"""A charger's certificates, the asyncio side (both versions): the CSMS's certificate calls answered from
`ocpp_bridge.core.certificates` and recorded on the ChargePoint; SignCertificate after a trigger, sent
again per CertSigningWaitMinimum / CertSigningRepeatTimes until a CertificateSigned comes; the
SecurityEventNotifications; the client certificate of security profile 3."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any

from websockets.exceptions import InvalidStatus

from domain.clock import iso
from domain.commands import ReportSecurityEvent
from domain.outcomes import GenericOutcome, Outcome
from ocpp_bridge.core import transaction_messages
from ocpp_bridge.core.certificates import answers
from ocpp_bridge.core.certificates.events import SECURITY_EVENTS, SecurityEvent, security_event_notification
from ocpp_bridge.core.certificates.held import key_seed, pending_of, recorded, store_of
from ocpp_bridge.core.certificates.keys import SigningUse, sign_certificate_payload, sign_retry_delay
from ocpp_bridge.core.certificates.signed import PendingCsr
from ocpp_bridge.core.certificates.store import CertificateStore
from ocpp_bridge.core.effects import Answered
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.runtime.station import FollowUp, Station

log = logging.getLogger(__name__)


class StationCertificates(Station):
    """The certificate calls of both versions (the version's client routes them here)."""

    _signed: asyncio.Event | None = None  # set when a CertificateSigned answers our CSR
    _signing: asyncio.Task[None] | None = None

    # --- the store ---------------------------------------------------------------------------------

    def certificate_store(self) -> CertificateStore:
        capacity = max(1, int(self.config("CertificateStoreMaxLength")))
        return store_of(self.cp.certificates, self.identity, capacity)

    def _keep(self, store: CertificateStore, accepted: PendingCsr | None = None) -> None:
        """Record what changed: nothing when a call was refused."""
        held = self.cp.certificates
        fields = recorded(store, held, accepted)
        if fields != recorded(store_of(held, self.identity), held, None):
            self.cp.certificates_changed(**fields)
        if accepted is not None:
            self.cp.csr_pending(None, None)
        self.record()

    def install_certificate(self, certificate_type: str, certificate: str) -> dict[str, Any]:
        store, answer = answers.install_certificate(
            self.certificate_store(), self.version, self.clock.now(), certificate_type, certificate
        )
        self._keep(store)
        return answer

    def installed_certificate_ids(self, certificate_type: str | list[str] | None) -> dict[str, Any]:
        return answers.get_installed_certificate_ids(self.certificate_store(), self.version, certificate_type)

    def delete_certificate(self, certificate_hash_data: dict[str, Any]) -> dict[str, Any]:
        store = self.certificate_store()
        in_use = store.roots_in_use(server) if (server := self._server_certificate()) else []
        store, answer = answers.delete_certificate(store, certificate_hash_data, in_use)
        self._keep(store)
        return answer

    def _server_certificate(self) -> bytes | None:
        """The CSMS's TLS certificate (DER) on the current connection, if it is wss://."""
        connection = self.connection
        ssl_object = None if connection is None else connection.ws.transport.get_extra_info("ssl_object")
        return None if ssl_object is None else ssl_object.getpeercert(binary_form=True)

    # --- SignCertificate → CertificateSigned --------------------------------------------------------

    def trigger_signing(self, use: SigningUse, message_id: str) -> str:
        """1.6 ExtendedTriggerMessage SignChargePointCertificate, 2.0.1 TriggerMessage Sign...Certificate:
        Accepted, then a new key and SignCertificate once our answer is sent."""

        async def follow_up() -> None:
            self.start_signing(use)

        self.enqueue(FollowUp(message_id, follow_up, f"TriggerMessage Sign {use.value}"))
        return "Accepted"

    def start_signing(self, use: SigningUse) -> None:
        """A new key and CSR, and SignCertificate until a CertificateSigned comes (in the background: the
        CertificateSigned is a CSMS call that must find the intent worker free)."""
        if self._signing is not None and not self._signing.done():
            self._signing.cancel()
        generation = self.cp.certificates.next_generation
        organization = self.config("CpoName") or self.charger.spec.vendor_name
        _, payload = answers.start_signing(
            key_seed(self.identity, generation), self.identity, organization, self.version, use
        )
        self.cp.csr_pending(use.value, generation, organization)
        self.record()
        self._keep_asking(payload)

    def _keep_asking(self, payload: dict[str, Any]) -> None:
        self._signed = asyncio.Event()
        self._signing = asyncio.create_task(self._sign(payload, self._signed), name=f"{self.identity}-sign")

    async def _sign(self, payload: dict[str, Any], signed: asyncio.Event) -> None:
        wait_s = max(0, int(self.config("CertSigningWaitMinimum")))
        repeats = max(0, int(self.config("CertSigningRepeatTimes")))
        attempt = 1
        while (delay := sign_retry_delay(attempt, wait_s, repeats)) is not None:
            await self.online.wait()  # after a restart: once booted
            with contextlib.suppress(CommandError):
                answer = await self.call(self.calls.SignCertificate(**payload))
                if answer.status != "Accepted":
                    break  # the CSMS will not sign: a real charger gives up until triggered again
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signed.wait(), self.clock.real_seconds(delay))
                return
            attempt += 1
        if not signed.is_set():
            self.cp.csr_pending(None, None)
            self.record()

    def certificate_signed(
        self, certificate_chain: str, certificate_type: str | None, message_id: str
    ) -> dict[str, Any]:
        pending = pending_of(self.cp.certificates, self.identity)
        store, answer, event = answers.certificate_signed_answer(
            self.certificate_store(),
            self.version,
            self.clock.now(),
            pending,
            certificate_chain,
            certificate_type,
            require_root=self.config_bool("AdditionalRootCertificateCheck"),
            max_chain_size=int(self.config("CertificateSignedMaxChainSize")),
        )
        if event is None:
            self._keep(store, pending)
            if self._signed is not None:
                self._signed.set()

            async def reconnect() -> None:  # the new certificate is used from the next connection on
                if self.connection is not None and self._server_certificate() is not None:
                    self.restart_connection()

            self.enqueue(FollowUp(message_id, reconnect, "CertificateSigned: reconnect"))
        else:
            payload = event

            async def notify() -> None:
                await self.call(self.calls.SecurityEventNotification(**payload))

            self.enqueue(FollowUp(message_id, notify, "SecurityEventNotification"))
        return answer

    # --- security events ------------------------------------------------------------------------------

    async def security_event(self, event: SecurityEvent, tech_info: str | None = None) -> str:
        """Send a SecurityEventNotification: Sent, Queued (a critical one while offline, or whose try
        failed: delivered in order with the transaction messages), NotSent (offline and not critical: a
        real charger keeps it in its security log only) or NotSupported (1.6 lacks the event)."""
        # techInfo is optional, but the ocpp library's 1.6 payload class requires it: what the event means
        tech_info = tech_info or SECURITY_EVENTS[event].when
        payload = security_event_notification(event, iso(self.clock.now()), self.version, tech_info)
        if payload is None:
            return "NotSupported"
        request = self.calls.SecurityEventNotification(**payload)
        if SECURITY_EVENTS[event].critical:
            result = await self.transact(request, 0)
            return "Sent" if isinstance(result, Answered) else "Queued"
        if not self.online.is_set():
            log.info("%s: security event %s while offline (kept in the log only)", self.identity, event)
            return "NotSent"
        await self.call(request)
        return "Sent"

    async def cmd_report_security_event(self, payload: ReportSecurityEvent) -> Outcome:
        """Ours (issue 11 item 8): report a security event as if it had happened."""
        status = await self.security_event(SecurityEvent(payload.type), payload.tech_info)
        messages = {
            "Sent": "SecurityEventNotification sent",
            "Queued": "critical: queued, delivered in order after the next boot (or the failed try)",
            "NotSent": "the charger is offline and the event is not critical: a real charger only logs it",
            "NotSupported": f"OCPP {self.version.value} has no security event {payload.type}",
        }
        return GenericOutcome(status=status, msg=messages[status])

    _refusal: SecurityEvent | None = None  # reported for the current run of failed connections

    def connection_refused(self, error: BaseException | None) -> None:
        """FailedToAuthenticateAtCsms (HTTP 401, or our client certificate refused) or
        InvalidCsmsCertificate (the CSMS's certificate did not verify): queued once per run of failures
        and delivered after the next boot (a charger cannot tell the CSMS it cannot reach)."""
        event = None if error is None else refusal_event(error)
        if event is None or event is self._refusal:
            self._refusal = None if error is None else self._refusal
            return
        self._refusal = event
        self._queue_event(event, str(error))

    def start(self) -> None:
        """Power-up: StartupOfTheDevice, delivered after the boot (with ReportStartupSecurityEvents on)."""
        if self.config_bool("ReportStartupSecurityEvents"):
            self._queue_event(SecurityEvent.STARTUP_OF_THE_DEVICE, "power-up")
        super().start()
        pending = pending_of(self.cp.certificates, self.identity)
        if pending is not None:  # a CSR sent before a restart: its retries go on, the attempts afresh
            self._keep_asking(sign_certificate_payload(pending.csr_pem, self.version, pending.use))

    async def stop(self, record: bool = True) -> None:
        if self._signing is not None:  # it records: nothing may be written once the stream is handed over
            self._signing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._signing
        await super().stop(record)

    def reboot(self) -> None:
        """A Reset: ResetOrReboot, delivered after the reboot (with ReportStartupSecurityEvents on)."""
        if self.config_bool("ReportStartupSecurityEvents"):
            self._queue_event(SecurityEvent.RESET_OR_REBOOT, "Reset by the CSMS")
        super().reboot()

    def _queue_event(self, event: SecurityEvent, tech_info: str) -> None:
        """Queue a SecurityEventNotification with the transaction messages: sent after the next boot."""
        payload = security_event_notification(event, iso(self.clock.now()), self.version, tech_info)
        if payload is not None:
            transaction_messages.queue(self.cp, self.calls.SecurityEventNotification(**payload), 0)
            self.record()

    # --- security profile 3 ---------------------------------------------------------------------------

    def tls_identity(self) -> tuple[tuple[str, str] | None, str]:
        store = self.certificate_store()
        return store.client_identity(self.clock.now()), store.trust_bundle()


def refusal_event(error: BaseException) -> SecurityEvent | None:
    """The security event a failed connection attempt is, if any."""
    if isinstance(error, InvalidStatus) and error.response.status_code in (401, 403):
        return SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CSMS
    if isinstance(error, ssl.SSLCertVerificationError):
        return SecurityEvent.INVALID_CSMS_CERTIFICATE
    if isinstance(error, ssl.SSLError) and "CERTIFICATE" in (error.reason or "").upper():
        return SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CSMS  # the CSMS refused our client certificate
    return None
