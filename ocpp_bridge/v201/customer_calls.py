"""OCPP 2.0.1 calls about what the driver sees and what the station holds about them: Set/Get/Clear
DisplayMessage (block O), CustomerInformation (block N) and CostUpdated (block I). The answers are decided
in ocpp_bridge.v201.display_messages and customer_information; this is the shell: what is recorded, and
the NotifyDisplayMessages / NotifyCustomerInformation follow-ups. None of these exists in OCPP 1.6."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from domain.clock import iso
from ocpp_bridge.runtime.station import FollowUp
from ocpp_bridge.v201 import customer_information as customers
from ocpp_bridge.v201 import display_messages as displays
from ocpp_bridge.v201.device_model import V201DeviceModel
from ocpp_bridge.v201.rules import DeviceVariable

# NotifyDisplayMessages pieces: the device model has no ItemsPerMessage for them; ten, as for a report.
MESSAGES_PER_NOTIFICATION = 10


class V201CustomerCalls(V201DeviceModel):
    """Display messages (stored as ChargePoint events), customer information and cost updates."""

    def device_model(self) -> list[DeviceVariable]:
        """With the display's read-only capabilities (DisplayMessageCtrlr), so a CSMS can read them."""
        control = "DisplayMessageCtrlr"
        return [
            *super().device_model(),
            DeviceVariable(control, "Available", "true", "boolean"),
            DeviceVariable(control, "DisplayMessages", str(len(self.cp.display_messages)), "integer"),
            DeviceVariable(control, "SupportedFormats", ",".join(displays.SUPPORTED_FORMATS), "MemberList"),
            DeviceVariable(
                control, "SupportedPriorities", ",".join(displays.SUPPORTED_PRIORITIES), "MemberList"
            ),
        ]

    def set_display_message(self, info: dict[str, Any]) -> str:
        message = displays.from_message_info(info)
        answer = displays.set_answer(self.cp, message)
        if answer == "Accepted":
            self.cp.display_message_set(message)
            self.record()
        return answer

    def get_display_messages(
        self, request_id: int, ids: list[int] | None, priority: str | None, state: str | None, message_id: str
    ) -> str:
        """Accepted, then the matching messages in NotifyDisplayMessages pieces; Unknown if none match."""
        chosen = displays.selected(displays.current(self.cp, self.clock.now()), ids, priority, state)
        if not chosen:
            return "Unknown"
        payloads = displays.notifications(request_id, chosen, MESSAGES_PER_NOTIFICATION)

        async def follow_up() -> None:
            for payload in payloads:
                await self.call(call.NotifyDisplayMessages(**payload))

        self.enqueue(FollowUp(message_id, follow_up, "GetDisplayMessages"))
        return "Accepted"

    def clear_display_message(self, display_id: int) -> str:
        answer = displays.clear_answer(self.cp, display_id)
        if answer == "Accepted":
            self.cp.display_message_cleared(display_id)
            self.record()
        return answer

    def customer_information(
        self,
        request_id: int,
        report: bool,
        clear: bool,
        id_token: dict[str, Any] | None,
        customer_identifier: str | None,
        customer_certificate: dict[str, Any] | None,
        message_id: str,
    ) -> str:
        """Accepted, then NotifyCustomerInformation: what is held (reported before it is cleared), and
        what was cleared. Clearing removes the token from the authorization cache and the local list."""
        answer = customers.answer(report, clear, id_token, customer_identifier, customer_certificate)
        if answer != "Accepted":
            return answer
        tag = None if id_token is None else str(id_token["id_token"])
        lines = customers.held(self.cp, tag, customer_identifier) if report else []
        if clear and tag is not None:
            self.cp.customer_data_cleared(tag)
            self.record()
            lines.append(f"cleared: idToken {tag} from the authorization cache and the local list")
        elif clear:
            lines.append(f"cleared: nothing held for customer {customer_identifier}")
        payloads = customers.notifications(request_id, lines, iso(self.clock.now()))

        async def follow_up() -> None:
            for payload in payloads:
                await self.call(call.NotifyCustomerInformation(**payload))

        self.enqueue(FollowUp(message_id, follow_up, "CustomerInformation"))
        return answer

    def cost_updated(self, total_cost: float, transaction_id: str) -> None:
        """The running cost the CSMS shows the driver: recorded as an observation (its answer is empty)."""
        self.cp.cost_updated(transaction_id, float(total_cost))
        self.record()
