"""The profiles a charger holds, and how installing, clearing and transactions change them.

An immutable value: every change returns a new store, so the core can keep it in its state and rebuild
it from the ChargePoint events that recorded each change. Installing applies the replacement rules of
both versions; whether a profile may be installed at all is decided before (`rules.check_profile`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from domain.protocol import OcppVersion

from .model import InstalledProfile, Purpose, purpose_from_name


class ClearStatus(StrEnum):
    ACCEPTED = "Accepted"
    UNKNOWN = "Unknown"  # nothing matched (both versions)


@dataclass(frozen=True)
class ClearCriteria:
    """What a ClearChargingProfile names; None matches anything. An id, when given, decides alone."""

    profile_id: int | None = None
    evse_id: int | None = None  # 0: only the profiles installed for the whole charger
    purpose: Purpose | None = None
    stack_level: int | None = None
    unknown_purpose: bool = False  # a purpose this version does not have: matches nothing (not everything)

    @classmethod
    def from_v16(
        cls,
        id: int | None = None,  # the 1.6 field's name, as the ocpp library passes it
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
    ) -> ClearCriteria:
        """From the keyword arguments of a 1.6 ClearChargingProfile handler."""
        purpose = None
        if charging_profile_purpose is not None:
            purpose = purpose_from_name(charging_profile_purpose, OcppVersion.V16)
        unknown = charging_profile_purpose is not None and purpose is None
        return cls(id, connector_id, purpose, stack_level, unknown)

    @classmethod
    def from_v201(
        cls,
        charging_profile_id: int | None = None,
        charging_profile_criteria: Mapping[str, Any] | None = None,
    ) -> ClearCriteria:
        """From the keyword arguments of a 2.0.1 ClearChargingProfile handler."""
        c = charging_profile_criteria or {}
        name = c.get("charging_profile_purpose")
        purpose = purpose_from_name(name, OcppVersion.V201) if isinstance(name, str) else None
        unknown = name is not None and purpose is None
        return cls(charging_profile_id, c.get("evse_id"), purpose, c.get("stack_level"), unknown)

    def matches(self, entry: InstalledProfile) -> bool:
        if entry.profile.purpose is Purpose.EXTERNAL_CONSTRAINTS:
            return False  # set by an EMS, never cleared by the CSMS (2.0.1 K10.FR.06)
        if self.profile_id is not None:
            return entry.profile.id == self.profile_id
        return (
            not self.unknown_purpose
            and (self.evse_id is None or entry.evse_id == self.evse_id)
            and (self.purpose is None or entry.profile.purpose is self.purpose)
            and (self.stack_level is None or entry.profile.stack_level == self.stack_level)
        )


@dataclass(frozen=True)
class ProfileStore:
    installed: tuple[InstalledProfile, ...] = ()

    def __len__(self) -> int:
        return len(self.installed)

    def find(self, profile_id: int) -> InstalledProfile | None:
        return next((e for e in self.installed if e.profile.id == profile_id), None)

    def on_evse(self, evse_id: int) -> tuple[InstalledProfile, ...]:
        """Installed for exactly this EVSE/connector (0: for the whole charger)."""
        return tuple(e for e in self.installed if e.evse_id == evse_id)

    def applying_to(self, evse_id: int) -> tuple[InstalledProfile, ...]:
        """Everything that limits this EVSE: its own profiles and the whole charger's."""
        if evse_id == 0:
            return self.on_evse(0)
        return tuple(e for e in self.installed if e.evse_id in (0, evse_id))

    def replaced_by(self, entry: InstalledProfile, version: OcppVersion) -> tuple[InstalledProfile, ...]:
        """The profiles `entry` replaces when installed.

        Both versions: the one with the same id, wherever it is (1.6 5.16, 2.0.1 K01.FR.05). 1.6 also
        replaces the same purpose and stack level on the same connector ("the same combination of
        stackLevel / ChargingProfilePurpose"); 2.0.1 rejects that case instead (K01.FR.06, checked before).
        """
        new = entry.profile

        def replaced(old: InstalledProfile) -> bool:
            if old.profile.id == new.id:
                return True
            return (
                version is OcppVersion.V16
                and old.evse_id == entry.evse_id
                and old.profile.purpose is new.purpose
                and old.profile.stack_level == new.stack_level
            )

        return tuple(e for e in self.installed if replaced(e))

    def install(self, entry: InstalledProfile, version: OcppVersion) -> ProfileStore:
        gone = self.replaced_by(entry, version)
        return ProfileStore((*(e for e in self.installed if e not in gone), entry))

    def clear(self, criteria: ClearCriteria) -> tuple[ProfileStore, ClearStatus]:
        kept = tuple(e for e in self.installed if not criteria.matches(e))
        if len(kept) == len(self.installed):
            return self, ClearStatus.UNKNOWN
        return ProfileStore(kept), ClearStatus.ACCEPTED

    def remove(self, profile_ids: Iterable[int]) -> ProfileStore:
        """Without these profiles (replaying a recorded removal)."""
        gone = set(profile_ids)
        return self._without(lambda e: e.profile.id in gone)

    def changes_to(self, after: ProfileStore) -> tuple[list[InstalledProfile], list[int]]:
        """What turned this store into `after`, as the events to record: the entries installed (new or
        changed, in order) and the ids removed. Replaying `install` then `remove` rebuilds `after`."""
        installed = [e for e in after.installed if e not in self.installed]
        kept = {e.profile.id for e in after.installed}
        removed = [e.profile.id for e in self.installed if e.profile.id not in kept]
        return installed, removed

    def bind_transaction(self, evse_id: int, transaction_id: str) -> ProfileStore:
        """A transaction started on the EVSE: a TxProfile that came with the remote start is now its own."""
        return ProfileStore(
            tuple(
                replace(e, transaction_id=transaction_id)
                if e.evse_id == evse_id and e.profile.purpose is Purpose.TX and e.transaction_id is None
                else e
                for e in self.installed
            )
        )

    def drop_unbound(self, evse_id: int) -> ProfileStore:
        """A remote start that never became a transaction (e.g. no cable in time): its TxProfile goes."""
        return self._without(
            lambda e: e.evse_id == evse_id and e.profile.purpose is Purpose.TX and e.transaction_id is None
        )

    def end_transaction(self, transaction_id: str) -> ProfileStore:
        """A TxProfile lives as long as its transaction ("after the transaction is stopped, the profile
        SHOULD be deleted", 1.6; the same in 2.0.1)."""
        return self._without(lambda e: e.profile.purpose is Purpose.TX and e.transaction_id == transaction_id)

    def follow_transactions(self, running: Mapping[int, str]) -> ProfileStore:
        """The TxProfiles after the charger's transactions (`running`: evse id → transaction id): one
        that came with a remote start belongs to the transaction now running on its EVSE, and one whose
        transaction runs nowhere any more is gone. The same store when nothing changed."""
        updated = self
        for evse_id, transaction_id in running.items():
            updated = updated.bind_transaction(evse_id, transaction_id)
        live = set(running.values())
        ended = {
            e.transaction_id
            for e in updated.installed
            if e.profile.purpose is Purpose.TX
            and e.transaction_id is not None
            and e.transaction_id not in live
        }
        for transaction_id in ended:
            updated = updated.end_transaction(transaction_id)
        return self if updated.installed == self.installed else updated

    def _without(self, gone: Callable[[InstalledProfile], bool]) -> ProfileStore:
        kept = tuple(e for e in self.installed if not gone(e))
        return self if len(kept) == len(self.installed) else ProfileStore(kept)
