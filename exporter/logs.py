"""Logging in the logfmt style of Prometheus' own binaries."""

from __future__ import annotations

import logging
import time

from exporter.redaction import redact_url

LEVELS = ("debug", "info", "warn", "error")


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        level = {"WARNING": "warn", "CRITICAL": "error"}.get(record.levelname, record.levelname.lower())
        # Whatever logged it (an HTTP library included), a URL's credentials never reach the log.
        message = redact_url(record.getMessage()).replace('"', '\\"')
        line = f'ts={ts}.{int(record.msecs):03d}Z level={level} logger={record.name} msg="{message}"'
        if record.exc_info:
            line += " err=" + repr(redact_url(self.formatException(record.exc_info).splitlines()[-1]))
        return line


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel({"warn": logging.WARNING}.get(level, level.upper()))
    # Per-request access logs from the HTTP stack would drown the useful lines.
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
