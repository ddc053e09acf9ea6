"""2.0.1 GetChargingProfiles (K09): which installed profiles match, and the ReportChargingProfiles that carry
them (one EVSE and one charging limit source per message, as its required fields demand; `tbc` on all
but the last). 1.6 has no such message: its CSMS learns limits from GetCompositeSchedule only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from domain.protocol import OcppVersion

from .model import InstalledProfile, LimitSource, Purpose, purpose_from_name
from .payloads import profile_payload
from .store import ProfileStore


class ReportStatus(StrEnum):
    ACCEPTED = "Accepted"  # reports follow
    NO_PROFILES = "NoProfiles"  # nothing matched: no report is sent


@dataclass(frozen=True)
class ProfileQuery:
    """What a GetChargingProfiles asks for; None matches anything, criteria combine with AND."""

    evse_id: int | None = None  # None: every EVSE and the charger itself; 0: the charger itself only
    purpose: Purpose | None = None
    stack_level: int | None = None
    profile_ids: frozenset[int] | None = None
    sources: frozenset[LimitSource] | None = None
    unknown_purpose: bool = False  # a purpose 2.0.1 does not have: matches nothing (not everything)

    @classmethod
    def from_v201(
        cls, evse_id: int | None = None, charging_profile: Mapping[str, Any] | None = None
    ) -> ProfileQuery:
        """From a GetChargingProfiles handler's keyword arguments (`chargingProfile` is the criterion)."""
        c = charging_profile or {}
        name = c.get("charging_profile_purpose")
        ids = c.get("charging_profile_id")
        sources = c.get("charging_limit_source")
        purpose = purpose_from_name(name, OcppVersion.V201) if isinstance(name, str) else None
        return cls(
            evse_id,
            purpose,
            c.get("stack_level"),
            None if ids is None else frozenset(int(i) for i in ids),
            None if sources is None else frozenset(LimitSource(s) for s in sources),
            name is not None and purpose is None,
        )

    def matches(self, entry: InstalledProfile) -> bool:
        profile = entry.profile
        return (
            not self.unknown_purpose
            and (self.evse_id is None or entry.evse_id == self.evse_id)
            and (self.purpose is None or profile.purpose is self.purpose)
            and (self.stack_level is None or profile.stack_level == self.stack_level)
            and (self.profile_ids is None or profile.id in self.profile_ids)
            and (self.sources is None or entry.source in self.sources)
        )


def _reported(entry: InstalledProfile) -> dict[str, Any]:
    """A profile as reported: a TxProfile names the transaction it belongs to, also one that came with a
    RequestStartTransaction (which had none: the CSMS learns which transaction it now limits)."""
    profile = entry.profile
    if profile.purpose is Purpose.TX and entry.transaction_id is not None:
        profile = replace(profile, transaction_id=entry.transaction_id)
    return profile_payload(profile, OcppVersion.V201)


def report_charging_profiles(
    store: ProfileStore, request_id: int, query: ProfileQuery, per_message: int = 20
) -> tuple[ReportStatus, list[dict[str, Any]]]:
    """The GetChargingProfiles answer and the ReportChargingProfiles request payloads to send after it.

    Groups by EVSE then source (ascending), profiles in installation order, at most `per_message` each.
    """
    if per_message < 1:
        raise ValueError("per_message must be at least 1")
    groups: dict[tuple[int, LimitSource], list[InstalledProfile]] = {}
    for entry in store.installed:
        if query.matches(entry):
            groups.setdefault((entry.evse_id, entry.source), []).append(entry)
    reports: list[dict[str, Any]] = []
    for (evse_id, source), entries in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1].value)):
        for first in range(0, len(entries), per_message):
            chunk = entries[first : first + per_message]
            reports.append(
                {
                    "request_id": request_id,
                    "charging_limit_source": source.value,
                    "evse_id": evse_id,
                    "charging_profile": [_reported(e) for e in chunk],
                    "tbc": True,
                }
            )
    if not reports:
        return ReportStatus.NO_PROFILES, []
    reports[-1]["tbc"] = False
    return ReportStatus.ACCEPTED, reports
