"""Structured logs: what a log line is about, one JSON object per line if asked, and never a secret.

The command, charger and identity a record concerns come from context variables, so the code that
logs does not pass them around: the gateway's command routes and the bridge's station tasks set them
with `log_context(...)`, and every record logged meanwhile (in that task, or in a thread it hands work
to) carries them. `configure_logging("json")` writes each record as one JSON object (time, level,
logger, message, command_id / charger_id / identity when known, any `extra=` fields, the traceback);
"text" keeps the classic one-line format with the known context appended.

Whatever the format, API tokens (`olt_…`) and `Authorization` header values are redacted before a
record is written. The standard library only: no logging framework to learn.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from domain.tokens import TOKEN_PREFIX

COMMAND_ID: ContextVar[str | None] = ContextVar("log_command_id", default=None)
CHARGER_ID: ContextVar[str | None] = ContextVar("log_charger_id", default=None)
IDENTITY: ContextVar[str | None] = ContextVar("log_identity", default=None)
CONTEXT_FIELDS: dict[str, ContextVar[str | None]] = {
    "command_id": COMMAND_ID,
    "charger_id": CHARGER_ID,
    "identity": IDENTITY,
}

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
REDACTED = "[REDACTED]"

# The attributes every LogRecord has; anything else on a record came from `extra=`. (uvicorn adds its
# message with terminal colours as `color_message`: not a field worth a JSON key.)
_STANDARD_ATTRIBUTES = frozenset(
    [
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "taskName",
        "color_message",
        *CONTEXT_FIELDS,
    ]
)


@contextlib.contextmanager
def log_context(
    *, command_id: object = None, charger_id: object = None, identity: object = None
) -> Iterator[None]:
    """Within the block (and in tasks or threads started from it), records carry these fields.
    Fields left as None keep whatever an enclosing block set."""
    given = {"command_id": command_id, "charger_id": charger_id, "identity": identity}
    tokens = [
        (CONTEXT_FIELDS[name], CONTEXT_FIELDS[name].set(str(value)))
        for name, value in given.items()
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_context() -> dict[str, str]:
    """The context fields known here (for tests and for code that reports them elsewhere)."""
    return {name: value for name, var in CONTEXT_FIELDS.items() if (value := var.get()) is not None}


# --- secrets -----------------------------------------------------------------------------------------

# A header value up to the end of its quoted string or line: `Authorization: Bearer x`,
# `'authorization': 'Bearer x'`, `authorization=Basic x`.
_AUTHORIZATION = re.compile(r"""(?i)(\bauthorization\b['"]?\s*[:=]\s*b?['"]?)[^'"\r\n]+""")
_BEARER = re.compile(r"""(?i)\b(bearer)\s+[^\s'",;)}\]]+""")
_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    """The text with API tokens and Authorization header values replaced by [REDACTED]."""
    if not text:
        return text
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + " " + REDACTED, text)
    return _TOKEN.sub(TOKEN_PREFIX + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Replaces tokens and Authorization values in a record's message, traceback and extra fields.

    The message is rendered once here (msg % args) and the record keeps the redacted text, so every
    formatter after this filter sees only that."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as logging always does
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class LogContext(logging.Filter):
    """Stamps each record with the context fields known where it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT_FIELDS.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


# --- formats -----------------------------------------------------------------------------------------


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    return {
        name: str(value)
        for name in CONTEXT_FIELDS
        if (value := getattr(record, name, None) or CONTEXT_FIELDS[name].get()) is not None
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO-8601), level, logger, message, the context fields
    that are known, `extra=` fields, and `exc_info` / `stack_info` text when present."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context_of(record),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_"):
                data[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc_info"] = record.exc_text
        if record.stack_info:
            data["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the known context fields appended: `… message [identity=CP-1 …]`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - the stdlib's name
        line = super().formatMessage(record)
        context = _context_of(record)
        if context:
            line += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
        return line


class LedgerLogHandler(logging.StreamHandler[IO[str]]):
    """The handler `configure_logging` installs (so a second call replaces it instead of adding one)."""


def configure_logging(
    log_format: str = "text", level: int = logging.INFO, stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record of the process to `stream` (stderr) in the chosen format, redacted."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r}; use one of {', '.join(LOG_FORMATS)}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, LedgerLogHandler):
            root.removeHandler(handler)
    handler = LedgerLogHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(LogContext())
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("ocpp").setLevel(logging.WARNING)  # it logs every frame at INFO; the ledger has them
    return handler
