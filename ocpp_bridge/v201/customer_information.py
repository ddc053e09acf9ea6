"""OCPP 2.0.1 block N, CustomerInformation: what the request is answered, what the station holds about
the customer (its local list entry, its authorization cache entry, its transactions running here), and
the NotifyCustomerInformation pieces that report it. Pure: the station's state and the time come in.

The station knows a customer by idToken only: it keeps no customer identifiers (they come with ISO 15118
contracts) and no customer certificates (no Plug & Charge), so a request naming only a certificate is
Rejected, and one naming only a customerIdentifier is Accepted and reports that nothing is held."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint

DATA_SIZE = 512  # NotifyCustomerInformationRequest.data: at most 512 characters a piece


def answer(
    report: bool,
    clear: bool,
    id_token: dict[str, Any] | None,
    customer_identifier: str | None,
    customer_certificate: dict[str, Any] | None,
) -> str:
    """Accepted; Invalid when it asks for nothing (neither report nor clear) or names no customer;
    Rejected when it names the customer by certificate alone."""
    if not (report or clear) or (
        id_token is None and customer_identifier is None and customer_certificate is None
    ):
        return "Invalid"
    if id_token is None and customer_identifier is None:
        return "Rejected"
    return "Accepted"


def held(cp: ChargePoint, id_tag: str | None, customer_identifier: str | None) -> list[str]:
    """One line per thing the station holds about the customer (none: one line saying so)."""
    lines = []
    if id_tag is not None:
        entry = cp.local_list.get(id_tag)
        if entry is not None:
            parent = f", group {entry.parent_id_tag}" if entry.parent_id_tag else ""
            lines.append(f"local list: idToken {id_tag} {entry.status}{parent}")
        if id_tag in cp.auth_cache:
            lines.append(f"authorization cache: idToken {id_tag} {cp.auth_cache[id_tag]}")
        for n, state in cp.connectors.items():
            if state.transaction_id is not None and state.id_tag == id_tag:
                lines.append(
                    f"transaction {state.transaction_id} on EVSE {n} since {state.started_at}, "
                    f"meter start {state.meter_start_wh} Wh"
                )
    if not lines:
        who = f"idToken {id_tag}" if id_tag is not None else f"customer {customer_identifier}"
        lines.append(f"no data held for {who}")
    return lines


def notifications(request_id: int, lines: list[str], generated_at: str) -> list[dict[str, Any]]:
    """The NotifyCustomerInformation payloads carrying the lines, DATA_SIZE characters a piece, seqNo
    from 0, tbc on all but the last."""
    text = "\n".join(lines)
    pieces = [text[i : i + DATA_SIZE] for i in range(0, len(text), DATA_SIZE)] or [""]
    return [
        {
            "data": piece,
            "tbc": i < len(pieces) - 1,
            "seq_no": i,
            "generated_at": generated_at,
            "request_id": request_id,
        }
        for i, piece in enumerate(pieces)
    ]
