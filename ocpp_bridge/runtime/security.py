"""How a charger opens its WebSocket securely: TLS for wss:// and OCPP security profiles 1, 2 and 3.

- TLS: certificate verification (system trust store, hostname check) is on by default; a charger whose
  `tls_verify` is false accepts any certificate, for a lab CSMS with a self-signed one. The two contexts are
  built once per process and shared by every connection (building one loads the trust store).
- Security profile 1 (ws://) and 2 (wss://): HTTP Basic `identity:password` on the upgrade request.
- Security profile 3 (wss://): a client certificate, the one a CSMS signed (CertificateSigned), once the
  charger has one; the CSMS root certificates it installed are trusted beside the system's.
- The password never reaches a log line: websockets logs every handshake header at DEBUG, so connections get
  a logger that masks the Authorization header (the test CSMS uses it too, for the server side).
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
from collections.abc import MutableMapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from websockets.headers import build_authorization_basic

from domain.charger import ChargerSettings

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})


@lru_cache(maxsize=2)
def tls_context(verify: bool) -> ssl.SSLContext:
    """A client context: verifying (the default) or, for a self-signed lab CSMS, accepting any certificate."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """A websockets logger that writes `Authorization: <redacted>` instead of the credentials."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.getLogger(name), {})

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        # websockets logs a header as ("> %s: %s", name, value) or ("< %s: %s", name, value)
        if len(args) == 2 and isinstance(args[0], str) and args[0].lower() in _SECRET_HEADERS:
            args = (args[0], "<redacted>")
        super().log(level, msg, *args, **kwargs)


CLIENT_LOGGER = RedactingLogger("websockets.client")
SERVER_LOGGER = RedactingLogger("websockets.server")


def client_tls_context(
    verify: bool, client_identity: tuple[str, str] | None, trusted_pem: str = ""
) -> ssl.SSLContext:
    """A context that trusts the installed CSMS roots too and presents our certificate (security profile
    3); built per connection, as both change. `load_cert_chain` reads files only: a private temporary
    file, removed at once."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if trusted_pem:
        context.load_verify_locations(cadata=trusted_pem)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_identity is not None:
        descriptor, path = tempfile.mkstemp(prefix="ocpp-client-", suffix=".pem")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(client_identity[0] + client_identity[1])
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
    return context


def connect_options(
    settings: ChargerSettings,
    identity: str,
    client_identity: tuple[str, str] | None = None,
    trusted_pem: str = "",
) -> dict[str, Any]:
    """Keyword arguments for `websockets.connect` that carry the charger's TLS and security profile;
    `client_identity`: our (chain, key) PEM for a client certificate, `trusted_pem`: installed CSMS roots."""
    options: dict[str, Any] = {"logger": CLIENT_LOGGER}
    if urlparse(settings.ws_url).scheme == "wss":
        if client_identity is not None or trusted_pem:
            options["ssl"] = client_tls_context(settings.tls_verify, client_identity, trusted_pem)
        else:
            options["ssl"] = tls_context(settings.tls_verify)
    if settings.basic_auth_password is not None:
        options["additional_headers"] = {
            "Authorization": build_authorization_basic(identity, settings.basic_auth_password)
        }
    return options
