"""The composition root: the `ocpp-ledger` command line, which wires gateway, bridge and replays."""
