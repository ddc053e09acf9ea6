"""The lab's page at the gateway's root, and its static files (ES modules, CSS, vendored libraries).

The page is public (it holds no data: everything it shows comes from the API with the token the user
pastes). Its Content-Security-Policy allows only this origin, so nothing can load from a CDN.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["lab"])
static_files = StaticFiles(directory=STATIC)

_INLINE_SCRIPT = re.compile(r"<script type=\"importmap\">(.*?)</script>", re.S)


@cache
def _page() -> tuple[str, str]:
    html = (STATIC / "index.html").read_text()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.findall(html)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return html, policy


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def lab_page() -> HTMLResponse:
    """The live lab (links to /docs, /openapi.json and /health in its header)."""
    html, policy = _page()
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": policy,
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )
