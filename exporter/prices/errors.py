"""How a reference exchange can fail: the whole poll of that source, never the other sources."""

from __future__ import annotations


class SourceError(Exception):
    """A reference source gave no usable prices this poll.

    `reason` is a small enum, stable enough to decide when to log again: blocked (HTTP 403 or
    451, typically a region block), rate_limited, http_5xx, http_4xx, timeout, connection,
    invalid_json, api_error (the exchange's own error code), shape, conversion.
    """

    def __init__(self, source: str, reason: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.reason = reason
