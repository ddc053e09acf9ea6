"""The embedded default's convenience token: created on first start, kept under var/ for `make run`."""

from __future__ import annotations

import os
from pathlib import Path

from domain.ids import token_id
from domain.ledger import Ledger
from domain.tokens import ApiToken, Role, hash_secret

DEV_ORGANIZATION = "dev"


def dev_token(ledger: Ledger, var_dir: Path) -> str:
    """The dev token (a user token of organization 'dev'): the saved one while it is valid, else a new one.

    Only the embedded default does this; the file is readable by its owner only. Production tokens are
    made with `ocpp-ledger token create` and are never written anywhere by ocpp-ledger.
    """
    path = var_dir / "dev-token"
    if path.exists():
        secret = path.read_text().strip()
        token = ledger.load_fresh(ApiToken, token_id(hash_secret(secret)))
        if token is not None and token.matches(secret):
            return secret
    secret, token = ApiToken.issue(DEV_ORGANIZATION, Role.USER, label="dev token (embedded default)")
    ledger.save(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret
