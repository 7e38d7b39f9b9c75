"""Marking a message that waited too long in the queue, so nobody reads an old state as news."""

from __future__ import annotations

from typing import Any

from exporter.relay.presentation import duration_text

# Renderers leave more room than this under each platform's limit (Telegram's header reserve, Discord's
# content clip at 1,800 of 2,000 characters).
_MAX_PREFIX = 60


def late_notice(age_seconds: float) -> str:
    return f"⏰ LATE: accepted {duration_text(age_seconds)} ago, the situation may have changed"


def mark_late(channel: str, body: dict[str, Any], age_seconds: float) -> dict[str, Any]:
    """The body with a late notice in front of its text (Telegram) or content (Discord)."""
    notice = late_notice(age_seconds)[:_MAX_PREFIX]
    key = "text" if channel == "telegram" else "content"
    if channel == "telegram":
        notice = f"<b>{notice}</b>"
    return {**body, key: f"{notice}\n{body.get(key) or ''}"}
