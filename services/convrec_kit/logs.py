"""structlog set-up: JSON in production, console locally; per-call context vars."""

from __future__ import annotations

import hashlib
import logging
import re
import sys

import structlog

# Fields whose values are secrets, and secrets that may turn up inside text (a header quoted in
# an error, a traceback): bearer values, JWTs, API keys.
SECRET_FIELDS = frozenset({"authorization", "token", "api_key", "secret", "password", "service_token"})
_SECRET_TEXT = re.compile(
    r"(?i:\bbearer)\s+[\w.~+/-]{8,}=*|(?<![\w-])(?:eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*|ck_[\w-]{8,})"
)
REDACTED = "[redacted]"


def redact_secrets(_logger, _method, event: dict) -> dict:
    """A structlog processor: no token, key or secret reaches a log line."""
    for key, value in event.items():
        if key.lower() in SECRET_FIELDS:
            event[key] = REDACTED
        elif isinstance(value, str) and ("eyJ" in value or "ck_" in value or "earer" in value):
            event[key] = _SECRET_TEXT.sub(REDACTED, value)
    return event


def configure_logging(fmt: str = "console", level: str = "info") -> None:
    renderer = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def pseudonym(value: str) -> str:
    """A stable, non-reversible tag for a user id, safe to log."""
    if not value:
        return ""
    return "u_" + hashlib.sha256(value.encode()).hexdigest()[:12]
