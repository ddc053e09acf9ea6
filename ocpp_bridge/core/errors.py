"""The one exception a charger's rules raise: a command they cannot carry out, with its FailureCode."""

from __future__ import annotations

from domain.failures import FailureCode


class CommandError(Exception):
    """A command the charger could not carry out; `code` is what the API reports."""

    def __init__(self, code: FailureCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
