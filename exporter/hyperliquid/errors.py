"""The two ways a Hyperliquid request can fail: upstream (transport, status, body) or parsing."""

from __future__ import annotations


class UpstreamError(Exception):
    """The request failed before a usable JSON body arrived.

    `reason` is a small enum used as a metric label: timeout, connection, http_429, http_5xx,
    http_4xx, invalid_json.
    """

    def __init__(self, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


class ParseError(Exception):
    """A response whose shape is not what the request type returns. `path` locates the field."""

    reason = "parse"

    def __init__(self, request_type: str, path: str, message: str) -> None:
        super().__init__(f"{request_type} response: {path}: {message}")
        self.request_type = request_type
        self.path = path
