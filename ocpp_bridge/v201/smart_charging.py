"""OCPP 2.0.1 functional block K: SetChargingProfile, ClearChargingProfile, GetCompositeSchedule and
GetChargingProfiles → ReportChargingProfiles answered by the pure core, and what a change of limit reports:
TransactionEvent Updated, triggerReason ChargingRateChanged, with the new power and chargingState."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from ocpp_bridge.core.smart_charging import answers
from ocpp_bridge.runtime.station import FollowUp
from ocpp_bridge.v201.csms_calls import V201CsmsCalls

REPORT_PROFILES_PER_MESSAGE = 20  # profiles per ReportChargingProfiles (as SmartChargingCtrlr would limit)


class V201SmartCharging(V201CsmsCalls):
    def set_charging_profile(self, evse_id: int, profile: dict[str, Any], message_id: str) -> dict[str, Any]:
        """SetChargingProfileResponse fields: Accepted, or Rejected with the reason (K01)."""
        store, answer = answers.set_charging_profile_v201(
            self.profile_store, self.profile_facts(), evse_id, profile
        )
        if answer["status"] == "Accepted":
            self.profiles_changed(store, message_id)
        return answer

    def clear_charging_profile(
        self, profile_id: int | None, criteria: dict[str, Any] | None, message_id: str
    ) -> dict[str, Any]:
        store, answer = answers.clear_charging_profile_v201(self.profile_store, profile_id, criteria)
        if answer["status"] == "Accepted":
            self.profiles_changed(store, message_id)
        return answer

    def composite_schedule(
        self, evse_id: int, duration: int, charging_rate_unit: str | None
    ) -> dict[str, Any]:
        return answers.get_composite_schedule_v201(
            self.profile_store, self.profile_facts(), self.clock.now(), evse_id, duration, charging_rate_unit
        )

    def charging_profiles(
        self, request_id: int, criteria: dict[str, Any], evse_id: int | None, message_id: str
    ) -> dict[str, Any]:
        """GetChargingProfilesResponse fields (Accepted, or NoProfiles); the ReportChargingProfiles follow
        once the answer has gone (K09)."""
        answer, reports = answers.get_charging_profiles_v201(
            self.profile_store, request_id, criteria, evse_id, REPORT_PROFILES_PER_MESSAGE
        )

        async def follow_up() -> None:
            for report in reports:
                await self.call(call.ReportChargingProfiles(**report))

        if reports:
            self.enqueue(FollowUp(message_id, follow_up, "ReportChargingProfiles"))
        return answer

    async def report_limits(self, changed: set[int]) -> None:
        """A TransactionEvent ChargingRateChanged for each transaction whose limit changed (with its
        chargingState when that moved too), ChargingStateChanged for one only the state of moved."""
        for n in list(self.cp.connectors):
            async with self.tx_lock:
                reading = self.settle(n)
                state = self.state(n)
                if state.transaction_id is None:
                    continue
                now_state = self.charging_state(n)
                moved = now_state if now_state != state.reported_charging_state else None
                if n in changed:
                    meter = self.meter_value(reading, "Other", self.measurands("MeterValuesSampledData"))
                    await self._send(n, "Updated", "ChargingRateChanged", charging_state=moved, meter=meter)
                elif moved is not None:
                    await self._send(n, "Updated", "ChargingStateChanged", charging_state=moved)
        self.record()
