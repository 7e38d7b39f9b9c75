"""Keep the relay's secrets out of every log line, including third-party libraries' debug output."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from exporter.relay.config import RelayConfig

REDACTED = "<secret>"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def relay_secrets(config: RelayConfig) -> list[str]:
    secrets = []
    if config.bearer_token is not None:
        secrets.append(config.bearer_token.get_secret_value())
    if config.telegram is not None:
        secrets.append(config.telegram.bot_token.get_secret_value())
    if config.discord is not None:
        url = config.discord.webhook_url.get_secret_value()
        # The token is the last path segment; the URL may also be logged piecewise.
        secrets += [url, url.rstrip("/").rsplit("/", 1)[-1]]
    return secrets


def install_redaction(config: RelayConfig) -> None:
    redactor = RedactSecrets(relay_secrets(config))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
