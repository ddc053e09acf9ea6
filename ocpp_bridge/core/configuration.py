"""The configuration a simulated charger exposes: OCPP 1.6 keys, and the 2.0.1 device-model variables
that mean the same thing. Values are strings on the wire; each key knows its type and whether it can
change, and a change to some keys only takes effect after a reboot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from ocpp_bridge.core.certificates.store import SECURITY_KEYS
from ocpp_bridge.core.smart_charging.model import SMART_CHARGING_KEYS

Kind = Literal["int", "bool", "csl", "str"]
REBOOT_SECONDS = 5  # RebootDuration's default


@dataclass(frozen=True)
class Key:
    name: str
    default: str
    kind: Kind
    readonly: bool = False
    reboot: bool = False
    component: str | None = None  # 2.0.1 device model
    variable: str | None = None


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("HeartbeatInterval", "60", "int", component="OCPPCommCtrlr", variable="HeartbeatInterval"),
        Key(
            "MeterValueSampleInterval",
            "10",
            "int",
            component="SampledDataCtrlr",
            variable="TxUpdatedInterval",
        ),
        Key(
            "MeterValuesSampledData",
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC",
            "csl",
            component="SampledDataCtrlr",
            variable="TxUpdatedMeasurands",
        ),
        Key("ClockAlignedDataInterval", "0", "int", component="AlignedDataCtrlr", variable="Interval"),
        Key(
            "MeterValuesAlignedData",
            "Energy.Active.Import.Register",
            "csl",
            component="AlignedDataCtrlr",
            variable="Measurands",
        ),
        Key(
            "StopTxnSampledData",
            "Energy.Active.Import.Register",
            "csl",
            component="SampledDataCtrlr",
            variable="TxEndedMeasurands",
        ),
        Key("StopTxnAlignedData", "", "csl"),
        Key("ConnectionTimeOut", "60", "int", component="TxCtrlr", variable="EVConnectionTimeOut"),
        Key(
            "AuthorizeRemoteTxRequests",
            "false",
            "bool",
            component="AuthCtrlr",
            variable="AuthorizeRemoteStart",
        ),
        Key("LocalAuthorizeOffline", "true", "bool", component="AuthCtrlr", variable="LocalAuthorizeOffline"),
        Key("LocalPreAuthorize", "false", "bool", component="AuthCtrlr", variable="LocalPreAuthorize"),
        Key(
            "AllowOfflineTxForUnknownId",
            "false",
            "bool",
            component="AuthCtrlr",
            variable="OfflineTxForUnknownIdEnabled",
        ),
        Key("AuthorizationCacheEnabled", "true", "bool", component="AuthCacheCtrlr", variable="Enabled"),
        Key(
            "StopTransactionOnEVSideDisconnect",
            "true",
            "bool",
            component="TxCtrlr",
            variable="StopTxOnEVSideDisconnect",
        ),
        Key("StopTransactionOnInvalidId", "true", "bool", component="TxCtrlr", variable="StopTxOnInvalidId"),
        Key("UnlockConnectorOnEVSideDisconnect", "true", "bool"),
        Key("NumberOfConnectors", "1", "int", readonly=True),
        Key(
            "SupportedFeatureProfiles",
            "Core,LocalAuthListManagement,SmartCharging,RemoteTrigger,Reservation",
            "csl",
            readonly=True,
        ),
        Key("GetConfigurationMaxKeys", "100", "int", readonly=True),
        Key("TransactionMessageAttempts", "3", "int", component="OCPPCommCtrlr", variable="MessageAttempts"),
        Key(
            "TransactionMessageRetryInterval",
            "10",
            "int",
            component="OCPPCommCtrlr",
            variable="MessageAttemptInterval",
        ),
        Key("MinimumStatusDuration", "0", "int"),
        Key(
            "WebSocketPingInterval",
            "0",
            "int",
            reboot=True,
            component="OCPPCommCtrlr",
            variable="WebSocketPingInterval",
        ),
        Key("LocalAuthListEnabled", "true", "bool", component="LocalAuthListCtrlr", variable="Enabled"),
        Key(
            "LocalAuthListMaxLength",
            "10000",
            "int",
            readonly=True,
            component="LocalAuthListCtrlr",
            variable="Entries",
        ),
        Key(
            "SendLocalListMaxLength",
            "10000",
            "int",
            readonly=True,
            component="LocalAuthListCtrlr",
            variable="ItemsPerMessage",
        ),
        Key("MessageTimeout", "30", "int", component="OCPPCommCtrlr", variable="MessageTimeout"),
        # Reservations (ocpp_bridge.core.reservations): writable, so a CSMS can be tested against both.
        Key("ReservationEnabled", "true", "bool", component="ReservationCtrlr", variable="Enabled"),
        Key(
            "ReserveConnectorZeroSupported",
            "true",
            "bool",
            component="ReservationCtrlr",
            variable="NonEvseSpecific",
        ),
        # Ours (a vendor key, not in the 2.0.1 device model): how many seconds a Reset keeps the charger
        # offline before it connects and boots again. A few seconds: at the test suite's clock speed, 50 ms.
        Key("RebootDuration", str(REBOOT_SECONDS), "int"),
        # Smart Charging (1.6 section 9.4; 2.0.1 SmartChargingCtrlr): what the profile rules read.
        *(
            Key(name, default, kind, readonly=True, component=component, variable=variable)  # type: ignore[arg-type]
            for name, default, kind, component, variable in SMART_CHARGING_KEYS
        ),

        # Ours: whether the charger reports StartupOfTheDevice at power-up and ResetOrReboot after a Reset
        # (SecurityEventNotification, after the boot). Off by default: a charger without the 1.6 security
        # extension sends neither, and the boot sequence stays BootNotification then the statuses.
        Key("ReportStartupSecurityEvents", "false", "bool"),
    )
}
# The 1.6 security whitepaper's keys, 2.0.1 SecurityCtrlr (ocpp_bridge.core.certificates.store).
KEYS.update(
    (name, Key(name, default, cast(Kind, kind), readonly, component=component, variable=variable))
    for name, default, kind, readonly, component, variable in SECURITY_KEYS
)
BY_VARIABLE: dict[tuple[str, str], Key] = {
    (k.component, k.variable): k for k in KEYS.values() if k.component and k.variable
}


def resolve(name: str) -> Key | None:
    """A 1.6 key name, or a 2.0.1 'Component.Variable' name."""
    if name in KEYS:
        return KEYS[name]
    if "." in name:
        component, _, variable = name.partition(".")
        return BY_VARIABLE.get((component, variable))
    return None


def check_value(key: Key, value: str) -> bool:
    if key.kind == "int":
        return value.strip().lstrip("-").isdigit() and int(value) >= 0
    if key.kind == "bool":
        return value.lower() in ("true", "false")
    return len(value) <= 500


def normalise(key: Key, value: str) -> str:
    return value.lower() if key.kind == "bool" else value.strip()


def decide_change(name: str, value: str) -> tuple[str, Key | None]:
    """The OCPP status of a configuration change: Accepted, RebootRequired, Rejected or NotSupported."""
    key = resolve(name)
    if key is None:
        return "NotSupported", None
    if key.readonly or not check_value(key, value):
        return "Rejected", key
    return ("RebootRequired" if key.reboot else "Accepted"), key
