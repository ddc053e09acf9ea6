"""Lab tools beside the chargers, never part of them: the test CSMS (on the ocpp library) and the seeded
fault proxy that sits between chargers and a CSMS."""
