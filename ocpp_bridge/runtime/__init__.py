"""The asyncio shell of the simulated chargers: the bridge loop, the station shell that drives the charger
core's steps and performs their effects, the recording connection, the batched event writer, leases,
metrics, TLS and Basic auth, schema validation at the seam."""
