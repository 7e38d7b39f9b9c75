"""Telegram HTML messages: escaped first, then measured, split between alerts, never inside a tag.

Telegram's 4,096-character limit applies to the text after entity parsing: tags and link targets do not
count, an escaped `&lt;` counts as one character.
"""

from __future__ import annotations

import html
import re

from exporter.relay.payload import Alert, WebhookPayload
from exporter.relay.presentation import (
    alert_links,
    alert_title,
    extra_labels,
    headline,
    is_firing,
    ordered_alerts,
    pack,
    status_line,
)

MAX_MESSAGE_LENGTH = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH, in UTF-16 code units
_HEADER_RESERVE = 300  # room for the headline and "(part i/n)"
_FOOTER_RESERVE = 80  # room for "… and N more alerts"
_ALERT_BUDGET = MAX_MESSAGE_LENGTH - _HEADER_RESERVE - _FOOTER_RESERVE
BLOCK_SEPARATOR = "\n\n"  # a blank line between alerts
_TAG = re.compile(r"<[^>]*>")
ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
RESOLVED_ICON = "✅"


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: visible text after entity parsing, in UTF-16 code units.

    Every character of content is escaped before it gets here, so `<` only ever opens one of our tags.
    """
    visible = html.unescape(_TAG.sub("", text))
    return len(visible.encode("utf-16-le")) // 2


def escape_clipped(text: str, limit: int) -> str:
    """HTML-escape `text`, cutting it (never inside an entity) so the result measures at most `limit`."""
    escaped = html.escape(text, quote=True)
    if telegram_length(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = html.escape(char, quote=True)
        size = telegram_length(piece)
        if used + size > limit - 1:
            break
        pieces.append(piece)
        used += size
    return "".join(pieces) + "…"


def render_telegram(
    payload: WebhookPayload, grafana_base_url: str | None, max_messages: int
) -> list[dict[str, str]]:
    """One or more `{"text": html}` messages; alerts beyond `max_messages` messages become "and N more"."""
    blocks = [_alert_block(alert, payload, grafana_base_url) for alert in ordered_alerts(payload)]
    parts = pack(blocks, _block_size, _ALERT_BUDGET)
    shown_parts = parts[:max_messages]
    omitted = sum(len(part) for part in parts[max_messages:]) + payload.truncatedAlerts
    icon = "🔥" if is_firing(payload) else RESOLVED_ICON
    title = escape_clipped(headline(payload), _HEADER_RESERVE - 40)
    messages = []
    for index, part in enumerate(shown_parts, start=1):
        numbering = f" ({index}/{len(shown_parts)})" if len(shown_parts) > 1 else ""
        text = f"{icon} <b>{title}</b>{numbering}\n\n" + BLOCK_SEPARATOR.join(part)
        if index == len(shown_parts) and omitted:
            text += f"\n\n… and {omitted} more alert{'s' if omitted != 1 else ''}"
        messages.append({"text": text})
    return messages


def _block_size(block: str) -> int:
    return telegram_length(block) + len(BLOCK_SEPARATOR)


def _alert_block(alert: Alert, payload: WebhookPayload, grafana_base_url: str | None) -> str:
    icon = RESOLVED_ICON if alert.status == "resolved" else ICONS.get(alert.labels.get("severity", ""), "⚪")
    lines = [f"{icon} <b>{escape_clipped(alert_title(alert), 600)}</b>"]
    lines.append(f"<i>{escape_clipped(alert.alertname, 200)} · {html.escape(status_line(alert))}</i>")
    description = alert.annotations.get("description", "")
    if description and alert.status == "firing":
        lines.append(escape_clipped(description, 1500))
    labels = extra_labels(alert, payload)
    if labels:
        lines.append(
            " ".join(
                f"{escape_clipped(key, 40)}=<code>{escape_clipped(value, 80)}</code>"
                for key, value in labels[:12]
            )
        )
    links = alert_links(alert, grafana_base_url)
    if links:
        lines.append(
            " · ".join(f'<a href="{html.escape(link.url, quote=True)}">{link.title}</a>' for link in links)
        )
    block = "\n".join(lines)
    if telegram_length(block) > _ALERT_BUDGET:
        # Only pathological label values or URLs get here; keep the summary line, which always fits.
        block = lines[0] + "\n" + lines[1]
    return block
