"""The charger's rules with no I/O: what either OCPP version's charge point decides, and the effects it
asks its asyncio shell (ocpp_bridge.runtime.station) to perform. Nothing here imports asyncio, websockets, the
ocpp library's I/O or the store (an import-linter contract checks it)."""
