"""Discord webhook messages: one embed per alert, within Discord's embed and message limits."""

from __future__ import annotations

import re
from typing import Any

from exporter.relay.payload import Alert, WebhookPayload
from exporter.relay.presentation import (
    alert_links,
    alert_title,
    extra_labels,
    headline,
    in_utc,
    ordered_alerts,
    pack,
    status_line,
)

MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000  # all embed text of one message together
MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
# Per-alert caps, chosen so one embed always stays well under MAX_EMBED_TOTAL.
_DESCRIPTION_CAP = 2000
_DESCRIPTION_WITH_LINKS_CAP = 3000
_LABEL_FIELDS = 10
_FIELD_VALUE_CAP = 200

SEVERITY_COLOURS = {"critical": 0xE74C3C, "warning": 0xE67E22, "info": 0x3498DB}
UNKNOWN_COLOUR = 0x95A5A6
RESOLVED_COLOUR = 0x2ECC71
_MARKDOWN_INLINE = re.compile(r"([\\*_~`|\[\]])")
_MARKDOWN_LINE_START = re.compile(r"^([>#-])", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Discord markdown: inline markers anywhere, quote/heading/list markers at line starts."""
    return _MARKDOWN_LINE_START.sub(r"\\\1", _MARKDOWN_INLINE.sub(r"\\\1", text))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 limit."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += sum(len(field["name"]) + len(field["value"]) for field in embed.get("fields", []))
    footer = embed.get("footer") or {}
    return size + len(footer.get("text") or "")


def render_discord(
    payload: WebhookPayload, grafana_base_url: str | None, max_messages: int
) -> list[dict[str, Any]]:
    """One or more `{"content": str, "embeds": [...]}` messages."""
    embeds = [_embed(alert, payload, grafana_base_url) for alert in ordered_alerts(payload)]
    parts = pack(embeds, embed_size, MAX_EMBED_TOTAL, max_items=MAX_EMBEDS)
    shown = parts[:max_messages]
    omitted = sum(len(part) for part in parts[max_messages:]) + payload.truncatedAlerts
    title = clip(escape_markdown(headline(payload)), 1800)
    messages = []
    for index, part in enumerate(shown, start=1):
        numbering = f" ({index}/{len(shown)})" if len(shown) > 1 else ""
        content = f"**{title}**{numbering}"
        if index == len(shown) and omitted:
            content += f"\n… and {omitted} more alert{'s' if omitted != 1 else ''}"
        messages.append({"content": clip(content, MAX_CONTENT), "embeds": part})
    return messages


def _embed(alert: Alert, payload: WebhookPayload, grafana_base_url: str | None) -> dict[str, Any]:
    resolved = alert.status == "resolved"
    prefix = "✅ RESOLVED" if resolved else f"🔥 {alert.labels.get('severity', 'unknown').upper()}"
    lines = []
    description = alert.annotations.get("description", "")
    if description and not resolved:
        lines.append(clip(escape_markdown(description), _DESCRIPTION_CAP))
    lines.append(f"*{escape_markdown(alert.alertname)} · {status_line(alert)}*")
    links = alert_links(alert, grafana_base_url)
    if links:
        lines.append(" · ".join(f"[{link.title}]({link.url})" for link in links))
    fields = [
        {
            "name": clip(escape_markdown(key), 64),
            "value": clip(escape_markdown(value), _FIELD_VALUE_CAP) or "\u200b",
            "inline": True,
        }
        for key, value in extra_labels(alert, payload)[:_LABEL_FIELDS]
    ]
    embed: dict[str, Any] = {
        "title": clip(f"{prefix}: {alert_title(alert)}", MAX_TITLE),
        "description": clip("\n".join(lines), _DESCRIPTION_WITH_LINKS_CAP),
        "color": RESOLVED_COLOUR
        if resolved
        else SEVERITY_COLOURS.get(alert.labels.get("severity", ""), UNKNOWN_COLOUR),
        "fields": fields,
    }
    moment = in_utc(alert.endsAt if resolved else alert.startsAt)
    if moment is not None:  # Discord refuses a whole message over a timestamp it cannot read
        embed["timestamp"] = moment.isoformat()
    if links:
        embed["url"] = links[0].url
    return embed
