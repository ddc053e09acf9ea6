"""OCPP 1.6J: the message sequences of a simulated charge point, and its answers to the CSMS.

Sequences follow OCPP 1.6 edition 2 with errata v4 (see OCPP.md): boot, StatusNotification for
connector 0 and each connector, Authorize, StartTransaction / MeterValues / StopTransaction with reason,
Charging ⇄ SuspendedEV/SuspendedEVSE, Faulted with the ChargePointErrorCode and back. A connector at
rest shows Available, Preparing (cable in), Finishing (cable still in after a transaction) or
Unavailable (ChangeAvailability, Scheduled until its transaction ends). A StopTransaction that cannot
be sent is queued and delivered after the next boot.
"""

from ocpp_bridge.v16.client import V16Client
from ocpp_bridge.v16.station import V16Station

__all__ = ["V16Client", "V16Station"]
