"""Tokens made with the CLI, as a user would."""

from __future__ import annotations

import subprocess

from tests.process import OCPP_LEDGER


def token_for(env: dict[str, str], organization: str | None, admin: bool = False) -> str:
    command = [OCPP_LEDGER, "token", "create", *(["--admin"] if admin else ["--org", organization or ""])]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]
