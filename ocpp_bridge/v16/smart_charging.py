"""OCPP 1.6 Smart Charging profile: SetChargingProfile, ClearChargingProfile and GetCompositeSchedule
answered by the pure core (profiles stacked by purpose and level), and what a change of limit reports:
the status of each transaction (SuspendedEVSE at 0 W, Charging again above it)."""

from __future__ import annotations

from typing import Any

from ocpp_bridge.core.smart_charging import answers
from ocpp_bridge.v16.csms_calls import V16CsmsCalls


class V16SmartCharging(V16CsmsCalls):
    def set_charging_profile(self, connector_id: int, profile: dict[str, Any], message_id: str) -> str:
        store, answer = answers.set_charging_profile_v16(
            self.profile_store, self.profile_facts(), connector_id, profile
        )
        if answer["status"] == "Accepted":
            self.profiles_changed(store, message_id)
        return str(answer["status"])

    def clear_charging_profile(
        self,
        message_id: str,
        id: int | None = None,  # the 1.6 field's name
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
    ) -> str:
        store, answer = answers.clear_charging_profile_v16(
            self.profile_store, id, connector_id, charging_profile_purpose, stack_level
        )
        if answer["status"] == "Accepted":
            self.profiles_changed(store, message_id)
        return str(answer["status"])

    def composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None
    ) -> dict[str, Any]:
        """GetCompositeSchedule.conf fields: the limits in force from now (the hardware's maximum where
        no profile says otherwise), or Rejected for an unknown connector or unit."""
        return answers.get_composite_schedule_v16(
            self.profile_store,
            self.profile_facts(),
            self.clock.now(),
            connector_id,
            duration,
            charging_rate_unit,
        )

    async def report_limits(self, changed: set[int]) -> None:
        for n in list(self.cp.connectors):
            await self.change_charging(n)
        self.record()
