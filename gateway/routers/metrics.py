"""Prometheus metrics of this process: no token, like /healthz.

The format follows the scraper's Accept header as prometheus_client's own server does (the classic text
format by default, OpenMetrics when asked). Not part of the REST contract's schema: it is for scrapers,
not API clients; see docs/observability.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import Response
from prometheus_client.exposition import choose_encoder

from projections.metrics import REGISTRY

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def metrics(accept: Annotated[str | None, Header()] = None) -> Response:
    """Every metric registered in this process: the gateway's, the read side's and, when the bridge runs
    in this process (`ocpp-ledger serve`), the bridge's."""
    encode, content_type = choose_encoder(accept or "")
    return Response(content=encode(REGISTRY), media_type=content_type)
