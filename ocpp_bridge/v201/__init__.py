"""OCPP 2.0.1: the message sequences of a simulated charging station, and its answers to the CSMS.

Each simulated EVSE has one connector (EVSE N = connector N, connectorId 1). Transactions follow
TxCtrlr.TxStartPoint and TxStopPoint (writable; v201/tx_points.py). By default, TxStartPoint =
EVConnected,Authorized and TxStopPoint = EVConnected: a transaction starts when the cable is plugged in (or
at authorization when the cable is already in), energy flows once it is authorized, a local stop authorizes
the stop and the transaction ends when the EV leaves; with Authorized among the stop points it ends at the
stop authorization. A stop with a reason, a remote stop, a fault or a reset end it at once. Transaction
ids are UUIDs from the station's seeded randomness; seqNo starts at 0 for each transaction and is kept on
the aggregate (it survives restarts). Every TransactionEvent is numbered and sent under one lock, so seqNo
is monotone on the wire.
"""

from ocpp_bridge.v201.client import V201Client
from ocpp_bridge.v201.station import V201Station

__all__ = ["V201Client", "V201Station"]
