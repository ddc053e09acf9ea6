"""Recordings of the ledger: export, audit, reproduce against a CSMS, diff."""
