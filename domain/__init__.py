"""The pure domain of ocpp-ledger: aggregates, events, command payloads and the catalog.

Knows no web framework, no sockets and no OCPP library; see DESIGN.md.
"""
