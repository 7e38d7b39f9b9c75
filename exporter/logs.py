"""One logging set-up for the three commands: logfmt (as Prometheus' own binaries log) or JSON."""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

from exporter.redaction import redact_url

LEVELS = ("debug", "info", "warn", "error")
FORMATS = ("logfmt", "json")

_LEVEL_NAMES = {"WARNING": "warn", "CRITICAL": "error"}
# Per-request access logs from the HTTP stack would drown the useful lines.
_NOISY_LOGGERS = ("httpx", "httpcore", "uvicorn.access", "websockets")


def record_fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, str]:
    """The fields of one line, in order: time, level, logger, message and, when present, the traceback."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    fields = {
        "ts": f"{stamp}.{int(record.msecs):03d}Z",
        "level": _LEVEL_NAMES.get(record.levelname, record.levelname.lower()),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    if record.exc_info:
        fields["exc"] = formatter.formatException(record.exc_info)
    elif record.exc_text:
        fields["exc"] = record.exc_text
    if record.stack_info:
        fields["stack"] = formatter.formatStack(record.stack_info)
    # Whatever logged it (an HTTP library included), a URL's credentials never reach the log.
    return {
        key: value if key in ("ts", "level", "logger") else redact_url(value) for key, value in fields.items()
    }


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def logfmt_value(value: str) -> str:
    """A logfmt value: bare when it is a plain token, otherwise quoted with backslash escapes.

    Every line stays one line whatever the message holds (newlines, quotes, backslashes, control
    characters), so a log shipper never splits or merges records.
    """
    if value and all(c.isprintable() and c not in ' ="\\' for c in value):
        return value
    escaped = "".join(_ESCAPES.get(c, c if c.isprintable() else f"\\u{ord(c):04x}") for c in value)
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={logfmt_value(value)}" for key, value in record_fields(record, self).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = record_fields(record, self)
        return json.dumps(fields, ensure_ascii=False)


def add_logging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log.level", dest="log_level", default="info", choices=LEVELS)
    parser.add_argument(
        "--log.format", dest="log_format", default="logfmt", choices=FORMATS, help="log line format"
    )


def setup_logging(level: str, log_format: str = "logfmt") -> None:
    if log_format not in FORMATS:
        raise ValueError(f"unknown log format {log_format!r}; expected one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel({"warn": logging.WARNING}.get(level, level.upper()))
    for noisy in _NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
