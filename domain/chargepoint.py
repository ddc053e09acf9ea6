"""The ChargePoint aggregate: what a simulated charger and its CSMS actually did (observation).

Written only by the bridge that runs the charger, so it never races the gateway on a stream. Its state is
what the bridge needs to resume after a crash: connectors, transactions and their meters, faults,
configuration, the local authorization list and cache, and which intent it has handled (the version of
the last Charger event it acted on, and the command in flight, if any).

Every observation a command caused carries that command's id.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.aggregates import topic
from domain.certificates import HeldCertificates, InstalledPem
from domain.connector_state import ConnectorState, InstalledProfile, LocalListEntry, QueuedMessage
from domain.display_messages import DisplayMessage
from domain.firmware import FirmwareRecord
from domain.ids import charge_point_id
from domain.monitoring import MonitoringState, VariableMonitor
from domain.outcomes import Outcome
from domain.reservations import Reservation, with_reservation, without_reservation


class ChargePoint(FirmwareRecord, MonitoringState, Aggregate):  # mixins: domain/firmware.py, monitoring.py
    TOPIC = topic("ChargePoint")

    class Created(Aggregate.Created):
        TOPIC = topic("ChargePoint.Created")

    class Observed(Created):
        TOPIC = topic("ChargePoint.Observed")
        charger_id: UUID
        tenant: str
        identity: str
        connector_count: int

    @event(Observed)
    def __init__(self, charger_id: UUID, tenant: str, identity: str, connector_count: int) -> None:
        self.charger_id = charger_id
        self.tenant = tenant
        self.identity = identity
        self.connectors: dict[int, ConnectorState] = {
            n: ConnectorState(connector_id=n) for n in range(1, connector_count + 1)
        }
        self.charger_fault: str | None = None
        self.config: dict[str, str] = {}
        self.local_list_version = 0
        self.local_list: dict[str, LocalListEntry] = {}
        self.auth_cache: dict[str, str] = {}
        self.intent_version = 0  # version of the last Charger event the bridge acted on
        self.in_flight: UUID | None = None
        self.connected = False
        self.boot_status: str | None = None
        # Transaction messages waiting for delivery, oldest first (ocpp_bridge.core.transaction_messages).
        self.outbox: tuple[QueuedMessage, ...] = ()
        self.outbox_serial = 0
        # OCPP 2.0.1
        self.charger_fault_event_id: int | None = None
        self.token_types: dict[
            str, str
        ] = {}  # idToken → the type the CSMS gave it (remote start, local list)
        self.profiles: dict[int, InstalledProfile] = {}  # charging profile id → where and what for
        self.scheduled_reset: int | None = None  # a Reset OnIdle waiting for EVSE N (0: the station) to idle
        self.reservations: dict[int, Reservation] = {}  # reservation id → what it holds (domain.reservations)
        self.token_parents: dict[
            str, str
        ] = {}  # id tag → the parent / group the CSMS's Authorize answer gave
        self.display_messages: dict[int, DisplayMessage] = {}  # message id → the message (SetDisplayMessage)
        self.certificates = HeldCertificates()  # domain/certificates.py

    @staticmethod
    def create_id(charger_id: UUID, tenant: str, identity: str, connector_count: int) -> UUID:
        return charge_point_id(charger_id)

    def connector(self, connector_id: int) -> ConnectorState:
        return self.connectors[connector_id]

    def _set(self, connector_id: int, **changes: Any) -> None:
        self.connectors[connector_id] = self.connectors[connector_id].model_copy(update=changes)

    # --- who runs it ------------------------------------------------------------------------------

    class Attached(Aggregate.Event):
        TOPIC = topic("ChargePoint.Attached")
        bridge_id: str
        ocpp_version: str
        clock_speed: float = 1.0

    @event(Attached)
    def attached(self, bridge_id: str, ocpp_version: str, clock_speed: float = 1.0) -> None:
        """A bridge runs this charge point from now on (the charger is READY), its simulated time running
        `clock_speed` times faster than the wall clock (a replay reproduces that rate)."""
        self.bridge_id: str | None = bridge_id

    class Detached(Aggregate.Event):
        TOPIC = topic("ChargePoint.Detached")
        bridge_id: str
        reason: str

    @event(Detached)
    def detached(self, bridge_id: str, reason: str) -> None:
        self.bridge_id = None
        self.connected = False

    # --- connection -------------------------------------------------------------------------------

    class Connected(Aggregate.Event):
        TOPIC = topic("ChargePoint.Connected")
        url: str
        subprotocol: str

    @event(Connected)
    def connected_to(self, url: str, subprotocol: str) -> None:
        self.connected = True

    class Disconnected(Aggregate.Event):
        TOPIC = topic("ChargePoint.Disconnected")
        reason: str
        retry_in_seconds: float | None

    @event(Disconnected)
    def disconnected(self, reason: str, retry_in_seconds: float | None) -> None:
        self.connected = False
        self.boot_status = None

    class BootAnswered(Aggregate.Event):
        TOPIC = topic("ChargePoint.BootAnswered")
        status: str
        interval: int

    @event(BootAnswered)
    def boot_answered(self, status: str, interval: int) -> None:
        self.boot_status = status

    # --- connectors ---------------------------------------------------------------------------------

    class StatusChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.StatusChanged")
        connector_id: int
        status: str
        error_code: str
        info: str | None
        command_id: UUID | None

    @event(StatusChanged)
    def status_changed(
        self, connector_id: int, status: str, error_code: str, info: str | None, command_id: UUID | None
    ) -> None:
        if connector_id in self.connectors:
            self._set(connector_id, status=status, error_code=error_code)

    class CablePlugged(Aggregate.Event):
        TOPIC = topic("ChargePoint.CablePlugged")
        connector_id: int
        command_id: UUID | None

    @event(CablePlugged)
    def cable_plugged(self, connector_id: int, command_id: UUID | None) -> None:
        self._set(connector_id, plugged=True, finishing=False)

    class PreAuthorized(Aggregate.Event):
        TOPIC = topic("ChargePoint.PreAuthorized")
        connector_id: int
        id_tag: str | None  # None: the authorization lapsed or was used
        command_id: UUID | None

    @event(PreAuthorized)
    def pre_authorized(self, connector_id: int, id_tag: str | None, command_id: UUID | None) -> None:
        self._set(connector_id, pre_authorized=id_tag)

    class CableUnplugged(Aggregate.Event):
        TOPIC = topic("ChargePoint.CableUnplugged")
        connector_id: int
        command_id: UUID | None

    @event(CableUnplugged)
    def cable_unplugged(self, connector_id: int, command_id: UUID | None) -> None:
        self._set(
            connector_id,
            plugged=False,
            soc=None,
            ev_max_power_w=None,
            ev_target_soc=None,
            ev_requesting=True,
            finishing=False,
        )

    class EvTargetSocSet(Aggregate.Event):
        TOPIC = topic("ChargePoint.EvTargetSocSet")
        connector_id: int
        target_soc: float
        soc: float | None
        command_id: UUID | None

    @event(EvTargetSocSet)
    def ev_target_soc_set(
        self, connector_id: int, target_soc: float, soc: float | None, command_id: UUID | None
    ) -> None:
        """The EV's charge limit (until it leaves), and its state of charge now if given."""
        changes: dict[str, Any] = {"ev_target_soc": target_soc}
        if soc is not None:
            changes["soc"] = soc
        self._set(connector_id, **changes)

    class EvDemandChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.EvDemandChanged")
        connector_id: int
        requesting: bool
        command_id: UUID | None

    @event(EvDemandChanged)
    def ev_demand_changed(self, connector_id: int, requesting: bool, command_id: UUID | None) -> None:
        self._set(connector_id, ev_requesting=requesting)

    class PowerOffered(Aggregate.Event):
        TOPIC = topic("ChargePoint.PowerOffered")
        connector_id: int
        power_w: float
        command_id: UUID | None

    @event(PowerOffered)
    def power_offered(self, connector_id: int, power_w: float, command_id: UUID | None) -> None:
        self._set(connector_id, offered_power_w=power_w)

    class ChargingLimitChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.ChargingLimitChanged")
        connector_id: int
        limit_w: float | None
        purpose: str | None = None  # recorded since issue 10; older events read as None

    @event(ChargingLimitChanged)
    def charging_limit_changed(
        self, connector_id: int, limit_w: float | None, purpose: str | None = None
    ) -> None:
        """A charging profile's limit, or none (connector 0: every connector)."""
        purpose = None if limit_w is None else purpose
        for n in list(self.connectors) if connector_id == 0 else [connector_id]:
            self._set(n, limit_w=limit_w, limit_purpose=purpose)

    class AvailabilityChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.AvailabilityChanged")
        connector_id: int
        operative: bool

    @event(AvailabilityChanged)
    def availability_changed(self, connector_id: int, operative: bool) -> None:
        targets = list(self.connectors) if connector_id == 0 else [connector_id]
        for n in targets:
            self._set(n, operative=operative)

    class FaultRaised(Aggregate.Event):
        TOPIC = topic("ChargePoint.FaultRaised")
        connector_id: int
        fault_type: str
        info: str | None
        vendor_error_code: str | None
        command_id: UUID | None
        event_id: int | None = None  # OCPP 2.0.1 NotifyEvent eventId (recorded since issue 10)

    @event(FaultRaised)
    def fault_raised(
        self,
        connector_id: int,
        fault_type: str,
        info: str | None,
        vendor_error_code: str | None,
        command_id: UUID | None,
        event_id: int | None = None,
    ) -> None:
        if connector_id == 0:
            self.charger_fault = fault_type
            self.charger_fault_event_id = event_id
        else:
            self._set(connector_id, fault=fault_type, fault_event_id=event_id)

    class FaultCleared(Aggregate.Event):
        TOPIC = topic("ChargePoint.FaultCleared")
        connector_id: int
        command_id: UUID | None

    @event(FaultCleared)
    def fault_cleared(self, connector_id: int, command_id: UUID | None) -> None:
        if connector_id == 0:
            self.charger_fault = None
            self.charger_fault_event_id = None
        else:
            self._set(connector_id, fault=None, fault_event_id=None)

    # --- authorization ------------------------------------------------------------------------------

    class Authorized(Aggregate.Event):
        TOPIC = topic("ChargePoint.Authorized")
        id_tag: str
        status: str
        source: str
        command_id: UUID | None

    @event(Authorized)
    def authorized(self, id_tag: str, status: str, source: str, command_id: UUID | None) -> None:
        if source == "csms" and self.config.get("AuthorizationCacheEnabled", "true") == "true":
            self.auth_cache[id_tag] = status

    class AuthCacheCleared(Aggregate.Event):
        TOPIC = topic("ChargePoint.AuthCacheCleared")
        entries: int
        command_id: UUID | None

    @event(AuthCacheCleared)
    def auth_cache_cleared(self, entries: int, command_id: UUID | None) -> None:
        self.auth_cache = {}

    class LocalListChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.LocalListChanged")
        version: int
        update_type: str
        entries: list[LocalListEntry]
        removed: list[str]
        command_id: UUID | None

    @event(LocalListChanged)
    def local_list_changed(
        self,
        version: int,
        update_type: str,
        entries: list[LocalListEntry],
        removed: list[str],
        command_id: UUID | None,
    ) -> None:
        if update_type == "Full":
            self.local_list = {e.id_tag: e for e in entries}
        else:
            kept = {k: v for k, v in self.local_list.items() if k not in set(removed)}
            self.local_list = {**kept, **{e.id_tag: e for e in entries}}
        self.local_list_version = version

    class LocalListCleared(Aggregate.Event):
        TOPIC = topic("ChargePoint.LocalListCleared")
        entries: int
        command_id: UUID | None

    @event(LocalListCleared)
    def local_list_cleared(self, entries: int, command_id: UUID | None) -> None:
        self.local_list = {}
        self.local_list_version = 0

    class ConfigurationChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.ConfigurationChanged")
        key: str
        value: str
        command_id: UUID | None

    @event(ConfigurationChanged)
    def configuration_changed(self, key: str, value: str, command_id: UUID | None) -> None:
        self.config = {**self.config, key: value}

    # --- OCPP 2.0.1 variable monitors (domain/monitoring.py) ---------------------------------------

    class MonitorSet(Aggregate.Event):
        TOPIC = topic("ChargePoint.MonitorSet")
        monitor: VariableMonitor

    @event(MonitorSet)
    def monitor_set(self, monitor: VariableMonitor) -> None:
        self.monitors = {**self.monitors, monitor.id: monitor}
        self.monitor_serial = max(self.monitor_serial, monitor.id)

    class MonitorsCleared(Aggregate.Event):
        TOPIC = topic("ChargePoint.MonitorsCleared")
        monitor_ids: list[int]

    @event(MonitorsCleared)
    def monitors_cleared(self, monitor_ids: list[int]) -> None:
        self.monitors = {k: v for k, v in self.monitors.items() if k not in monitor_ids}

    class MonitoringLevelSet(Aggregate.Event):
        TOPIC = topic("ChargePoint.MonitoringLevelSet")
        severity: int

    @event(MonitoringLevelSet)
    def monitoring_level_set(self, severity: int) -> None:
        self.monitoring_level = severity

    class MonitoringBaseSet(Aggregate.Event):
        TOPIC = topic("ChargePoint.MonitoringBaseSet")
        base: str

    @event(MonitoringBaseSet)
    def monitoring_base_set(self, base: str) -> None:
        self.monitoring_base = base

    # --- transactions and meter ---------------------------------------------------------------------

    class TransactionStarted(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionStarted")
        connector_id: int
        transaction_id: str
        id_tag: str | None
        meter_start_wh: int
        started_at: str
        id_tag_status: str | None
        command_id: UUID | None
        ev_max_power_w: float | None
        soc: float | None

    @event(TransactionStarted)
    def transaction_started(
        self,
        connector_id: int,
        transaction_id: str,
        id_tag: str | None,  # None: an OCPP 2.0.1 transaction started before anyone was authorized
        meter_start_wh: int,
        started_at: str,
        id_tag_status: str | None,
        command_id: UUID | None,
        ev_max_power_w: float | None,
        soc: float | None,
    ) -> None:
        self._set(
            connector_id,
            transaction_id=transaction_id,
            id_tag=id_tag,
            meter_start_wh=meter_start_wh,
            started_at=started_at,
            session_command_id=command_id,
            seq_no=0,
            ev_max_power_w=ev_max_power_w,
            soc=soc,
            stop_authorized=False,
            finishing=False,
            reported_charging_state=None,
        )

    class TransactionAuthorized(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionAuthorized")
        connector_id: int
        transaction_id: str
        id_tag: str
        status: str
        trigger_reason: str
        command_id: UUID | None

    @event(TransactionAuthorized)
    def transaction_authorized(
        self,
        connector_id: int,
        transaction_id: str,
        id_tag: str,
        status: str,
        trigger_reason: str,
        command_id: UUID | None,
    ) -> None:
        """OCPP 2.0.1: an id token was presented for a running transaction (energy may flow if Accepted)."""
        if status == "Accepted":
            self._set(connector_id, id_tag=id_tag)

    class TransactionStopAuthorized(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionStopAuthorized")
        connector_id: int
        transaction_id: str
        command_id: UUID | None

    @event(TransactionStopAuthorized)
    def transaction_stop_authorized(
        self, connector_id: int, transaction_id: str, command_id: UUID | None
    ) -> None:
        """OCPP 2.0.1: the stop was authorized; energy stops, the transaction ends when the EV leaves."""
        self._set(connector_id, stop_authorized=True)

    class TransactionStopped(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionStopped")
        connector_id: int
        transaction_id: str
        meter_stop_wh: int
        reason: str
        stopped_at: str
        command_id: UUID | None

    @event(TransactionStopped)
    def transaction_stopped(
        self,
        connector_id: int,
        transaction_id: str,
        meter_stop_wh: int,
        reason: str,
        stopped_at: str,
        command_id: UUID | None,
    ) -> None:
        self._set(
            connector_id,
            transaction_id=None,
            id_tag=None,
            meter_start_wh=None,
            started_at=None,
            session_command_id=None,
            power_w=0.0,
            energy_wh=meter_stop_wh,
            stop_authorized=False,
            finishing=True,
            reported_charging_state=None,
        )

    class MeterSampled(Aggregate.Event):
        TOPIC = topic("ChargePoint.MeterSampled")
        connector_id: int
        transaction_id: str | None
        energy_wh: int
        power_w: float
        voltage_v: float
        current_a: float
        soc: float | None
        sampled_at: str

    @event(MeterSampled)
    def meter_sampled(
        self,
        connector_id: int,
        transaction_id: str | None,
        energy_wh: int,
        power_w: float,
        voltage_v: float,
        current_a: float,
        soc: float | None,
        sampled_at: str,
    ) -> None:
        self._set(connector_id, energy_wh=energy_wh, power_w=power_w, soc=soc)

    class SequenceAdvanced(Aggregate.Event):
        TOPIC = topic("ChargePoint.SequenceAdvanced")
        connector_id: int
        seq_no: int
        charging_state: str | None = None  # the chargingState it reports, if any (recorded since issue 10)

    @event(SequenceAdvanced)
    def sequence_advanced(self, connector_id: int, seq_no: int, charging_state: str | None = None) -> None:
        """OCPP 2.0.1: a TransactionEvent took its seqNo (before it leaves: a seqNo is never used twice)."""
        state = self.connectors[connector_id]
        if charging_state is not None and state.transaction_id is not None:
            self._set(connector_id, seq_no=seq_no, reported_charging_state=charging_state)
        else:
            self._set(connector_id, seq_no=seq_no)

    # --- OCPP 2.0.1: what the CSMS set up that the station must remember ----------------------------

    class IdTokenTypeUsed(Aggregate.Event):
        TOPIC = topic("ChargePoint.IdTokenTypeUsed")
        id_tag: str
        token_type: str

    @event(IdTokenTypeUsed)
    def id_token_type_used(self, id_tag: str, token_type: str) -> None:
        """The CSMS named an idToken with this type: the station presents it so from now on."""
        self.token_types = {**self.token_types, id_tag: token_type}

    class ChargingProfileInstalled(Aggregate.Event):
        TOPIC = topic("ChargePoint.ChargingProfileInstalled")
        profile_id: int
        evse_id: int
        purpose: str
        record: str | None = None  # the whole profile (smart charging's installed_record); older: None

    @event(ChargingProfileInstalled)
    def charging_profile_installed(
        self, profile_id: int, evse_id: int, purpose: str, record: str | None = None
    ) -> None:
        """Installed, or replaced (it moves to the end: the newest prevails at one stack level)."""
        kept = {k: v for k, v in self.profiles.items() if k != profile_id}
        self.profiles = {
            **kept,
            profile_id: InstalledProfile(evse_id=evse_id, purpose=purpose, record=record),
        }

    class ChargingProfilesRemoved(Aggregate.Event):
        TOPIC = topic("ChargePoint.ChargingProfilesRemoved")
        profile_ids: list[int]

    @event(ChargingProfilesRemoved)
    def charging_profiles_removed(self, profile_ids: list[int]) -> None:
        self.profiles = {k: v for k, v in self.profiles.items() if k not in profile_ids}

    class AvailabilityScheduled(Aggregate.Event):
        TOPIC = topic("ChargePoint.AvailabilityScheduled")
        connector_id: int
        operative: bool | None

    @event(AvailabilityScheduled)
    def availability_scheduled(self, connector_id: int, operative: bool | None) -> None:
        """A change of availability waits for the connector's transaction to end (None: no longer)."""
        self._set(connector_id, scheduled_operative=operative)

    class ResetScheduled(Aggregate.Event):
        TOPIC = topic("ChargePoint.ResetScheduled")
        evse_id: int | None

    @event(ResetScheduled)
    def reset_scheduled(self, evse_id: int | None) -> None:
        """A Reset OnIdle waits for EVSE N (0: the station) to be idle (None: it is carried out)."""
        self.scheduled_reset = evse_id

    class ReservationMade(Aggregate.Event):
        TOPIC = topic("ChargePoint.ReservationMade")
        reservation: Reservation

    @event(ReservationMade)
    def reservation_made(self, reservation: Reservation) -> None:
        self.reservations = with_reservation(self.reservations, reservation)

    class ReservationEnded(Aggregate.Event):
        TOPIC = topic("ChargePoint.ReservationEnded")
        reservation_id: int
        reason: str  # domain.reservations.ReservationEnd

    @event(ReservationEnded)
    def reservation_ended(self, reservation_id: int, reason: str) -> None:
        self.reservations = without_reservation(self.reservations, reservation_id)

    class TokenParentLearned(Aggregate.Event):
        TOPIC = topic("ChargePoint.TokenParentLearned")
        id_tag: str
        parent_id_tag: str | None

    @event(TokenParentLearned)
    def token_parent_learned(self, id_tag: str, parent_id_tag: str | None) -> None:
        """The CSMS's Authorize answer named the tag's parent (1.6) or group (2.0.1), or none any more."""
        kept = {k: v for k, v in self.token_parents.items() if k != id_tag}
        self.token_parents = kept if parent_id_tag is None else {**kept, id_tag: parent_id_tag}

    class DisplayMessageSet(Aggregate.Event):
        TOPIC = topic("ChargePoint.DisplayMessageSet")
        message: DisplayMessage

    @event(DisplayMessageSet)
    def display_message_set(self, message: DisplayMessage) -> None:
        """A new message, or one that replaces the message with its id."""
        self.display_messages = {**self.display_messages, message.message_id: message}

    class DisplayMessageCleared(Aggregate.Event):
        TOPIC = topic("ChargePoint.DisplayMessageCleared")
        message_id: int

    @event(DisplayMessageCleared)
    def display_message_cleared(self, message_id: int) -> None:
        self.display_messages = {k: v for k, v in self.display_messages.items() if k != message_id}

    class CustomerDataCleared(Aggregate.Event):
        TOPIC = topic("ChargePoint.CustomerDataCleared")
        id_tag: str

    @event(CustomerDataCleared)
    def customer_data_cleared(self, id_tag: str) -> None:
        """CustomerInformation clear: the token leaves the authorization cache and the local list."""
        self.auth_cache = {k: v for k, v in self.auth_cache.items() if k != id_tag}
        self.local_list = {k: v for k, v in self.local_list.items() if k != id_tag}

    class CostUpdated(Aggregate.Event):
        TOPIC = topic("ChargePoint.CostUpdated")
        transaction_id: str
        total_cost: float

    @event(CostUpdated)
    def cost_updated(self, transaction_id: str, total_cost: float) -> None:
        pass  # what the CSMS told the driver it costs so far: an observation, not the charger's state

    # --- certificates (domain/certificates.py; decided by ocpp_bridge.core.certificates) -------------

    class CertificatesChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.CertificatesChanged")
        installed: list[dict[str, str]]  # {"use", "pem"}: public CA certificates
        station_chain: str | None
        key_generation: int | None

    @event(CertificatesChanged)
    def certificates_changed(
        self, installed: list[dict[str, str]], station_chain: str | None, key_generation: int | None
    ) -> None:
        """InstallCertificate, DeleteCertificate, or an accepted CertificateSigned."""
        self.certificates = self.certificates.model_copy(
            update={
                "installed": tuple(InstalledPem(**i) for i in installed),
                "station_chain": station_chain,
                "key_generation": key_generation,
            }
        )

    class CsrPending(Aggregate.Event):
        TOPIC = topic("ChargePoint.CsrPending")
        use: str | None  # None: no longer waiting (answered, or its retries ran out)
        key_generation: int | None
        organization: str = ""  # the O of the CSR

    @event(CsrPending)
    def csr_pending(self, use: str | None, key_generation: int | None, organization: str = "") -> None:
        """A SignCertificate was sent for a new key of this generation (or the wait was given up)."""
        self.certificates = self.certificates.model_copy(
            update={
                "pending_use": use,
                "pending_generation": key_generation,
                "pending_organization": organization,
            }
        )

    # --- transaction messages waiting for delivery ----------------------------------------------

    class TransactionMessageQueued(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionMessageQueued")
        connector_id: int
        action: str
        payload: dict[str, Any]

    @event(TransactionMessageQueued)
    def transaction_message_queued(self, connector_id: int, action: str, payload: dict[str, Any]) -> None:
        """Queued while offline, behind another, or when its first try failed (then followed by a
        TransactionMessageFailed)."""
        self.outbox_serial += 1
        message = QueuedMessage(
            number=self.outbox_serial, connector_id=connector_id, action=action, payload=payload
        )
        self.outbox = (*self.outbox, message)

    class TransactionMessageFailed(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionMessageFailed")
        number: int
        attempt: int
        code: str
        message: str

    @event(TransactionMessageFailed)
    def transaction_message_failed(self, number: int, attempt: int, code: str, message: str) -> None:
        """A try failed (CALLERROR or no answer): it is retried after the retry interval."""
        self.outbox = tuple(
            m.model_copy(update={"attempts": attempt}) if m.number == number else m for m in self.outbox
        )

    class TransactionMessageDelivered(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionMessageDelivered")
        number: int
        attempt: int

    @event(TransactionMessageDelivered)
    def transaction_message_delivered(self, number: int, attempt: int) -> None:
        self.outbox = tuple(m for m in self.outbox if m.number != number)

    class TransactionMessageDropped(Aggregate.Event):
        TOPIC = topic("ChargePoint.TransactionMessageDropped")
        number: int
        reason: str

    @event(TransactionMessageDropped)
    def transaction_message_dropped(self, number: int, reason: str) -> None:
        """Its attempts ran out (TransactionMessageAttempts): OCPP says to give up on it."""
        self.outbox = tuple(m for m in self.outbox if m.number != number)

    # --- the wire -----------------------------------------------------------------------------------

    class FrameRecorded(Aggregate.Event):
        TOPIC = topic("ChargePoint.FrameRecorded")
        direction: str
        message_type: int | None
        message_id: str | None
        action: str | None
        raw: str
        command_id: UUID | None

    @event(FrameRecorded)
    def frame_recorded(
        self,
        direction: str,
        message_type: int | None,
        message_id: str | None,
        action: str | None,
        raw: str,
        command_id: UUID | None,
    ) -> None:
        pass  # frames are evidence, not state

    # --- intent handled -----------------------------------------------------------------------------

    class IntentObserved(Aggregate.Event):
        TOPIC = topic("ChargePoint.IntentObserved")
        intent_version: int

    @event(IntentObserved)
    def intent_observed(self, intent_version: int) -> None:
        """A Charger event that needed no command outcome (settings, registration) was applied."""
        self.intent_version = max(self.intent_version, intent_version)

    class CommandDispatched(Aggregate.Event):
        TOPIC = topic("ChargePoint.CommandDispatched")
        command_id: UUID
        intent_version: int
        event_type: str

    @event(CommandDispatched)
    def command_dispatched(self, command_id: UUID, intent_version: int, event_type: str) -> None:
        self.intent_version = max(self.intent_version, intent_version)
        self.in_flight = command_id

    class CommandCompleted(Aggregate.Event):
        TOPIC = topic("ChargePoint.CommandCompleted")
        command_id: UUID
        outcome: Outcome

    @event(CommandCompleted)
    def command_completed(self, command_id: UUID, outcome: Outcome) -> None:
        if self.in_flight == command_id:
            self.in_flight = None

    class CommandFailed(Aggregate.Event):
        TOPIC = topic("ChargePoint.CommandFailed")
        command_id: UUID
        code: str
        message: str

    @event(CommandFailed)
    def command_failed(self, command_id: UUID, code: str, message: str) -> None:
        if self.in_flight == command_id:
            self.in_flight = None
