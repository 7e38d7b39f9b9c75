"""Secrets never reach an error message or a log line."""

from __future__ import annotations

import logging

import pytest

from exporter.logs import LogfmtFormatter
from exporter.redaction import is_secret_key, redact_url


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("cannot reach https://alice:hunter2@api.example/info", "hunter2"),
        ("POST https://api.telegram.org/bot123456:AAE-secret_tok/sendMessage", "AAE-secret_tok"),
        ("POST https://discord.com/api/webhooks/1234/abcDEF-token.x", "abcDEF-token.x"),
        ("GET http://h.example/x?api_key=k3y&coin=BTC", "k3y"),
        ("GET http://h.example/x?coin=BTC&token=t0k", "t0k"),
    ],
)
def test_url_credentials_are_redacted(text: str, secret: str) -> None:
    redacted = redact_url(text)
    assert secret not in redacted
    assert "<redacted>" in redacted


def test_plain_urls_are_left_alone() -> None:
    text = "cannot reach https://api.hyperliquid.xyz/info?coin=BTC"
    assert redact_url(text) == text


def test_secret_keys_are_recognised() -> None:
    assert is_secret_key("bot_token")
    assert is_secret_key("webhook_url")
    assert is_secret_key("bearer_token")
    assert not is_secret_key("api_url")
    assert not is_secret_key("interval_seconds")


def test_every_log_line_is_redacted_whoever_logs_it() -> None:
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: POST %s",
        ("https://api.telegram.org/bot1:s3cr3t/send",),
        None,
    )
    line = LogfmtFormatter().format(record)
    assert "s3cr3t" not in line
    assert "/bot<redacted>/send" in line
