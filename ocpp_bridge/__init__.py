"""The OCPP bridge: simulated charge points that turn ledger events into OCPP traffic."""
