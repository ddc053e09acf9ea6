"""Named domain errors. The gateway maps each to one HTTP status in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses. `code` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class LocationNotFound(NotFound):
    code = "location_not_found"


class ChargerNotFound(NotFound):
    code = "charger_not_found"


class CommandNotFound(NotFound):
    code = "command_not_found"


class JobNotFound(NotFound):
    code = "job_not_found"


class CatalogModelNotFound(NotFound):
    code = "catalog_model_not_found"


class Conflict(DomainError):
    code = "conflict"


class DuplicateIdentity(Conflict):
    code = "duplicate_identity"


class LocationHasChargers(Conflict):
    code = "location_has_chargers"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class InvalidRequest(DomainError):
    """A request that is well-formed but breaks a domain rule; `field` names the culprit."""

    code = "invalid_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownCatalogModel(InvalidRequest):
    code = "unknown_catalog_model"


class CommandNotApplicable(DomainError):
    """A single-charger command that cannot apply to its charger in its state; `code` says why. Not a
    Conflict: asking again does not change the charger's state (and clients retry a 409)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code
