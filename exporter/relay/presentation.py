"""What both chat renderers say about an alert: status wording, severity, links. No markup here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote, urlsplit

from exporter.relay.payload import Alert, WebhookPayload

T = TypeVar("T")

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
HIDDEN_LABELS = frozenset({"alertname", "severity"})
MAX_URL_LENGTH = 2000
# Kept as they are: reserved and unreserved URL characters, and `%` of existing escapes. Everything else,
# notably ( ) [ ] < > " ' ` | \\ and non-ASCII, is percent-encoded.
_URL_SAFE = "-._~:/?#@!$&*+,;=%"


@dataclass(frozen=True)
class Link:
    title: str
    url: str


def alert_links(alert: Alert, grafana_base_url: str | None) -> list[Link]:
    """Links that are well-formed http(s) URLs, made safe for markup; malformed ones are left out."""
    candidates = [("Runbook", alert.annotations.get("runbook_url", ""))]
    dashboard_path = alert.annotations.get("dashboard_path", "")
    if grafana_base_url and dashboard_path.startswith("/"):
        candidates.append(("Grafana", grafana_base_url.rstrip("/") + dashboard_path))
    candidates.append(("Prometheus", alert.generatorURL))
    links = []
    for title, raw in candidates:
        url = safe_url(raw)
        if url is not None:
            links.append(Link(title, url))
    return links


def safe_url(raw: str) -> str | None:
    """An absolute http(s) URL with a host, every character that could end a Markdown or HTML link
    percent-encoded; None for anything else (a platform refuses a whole message over one bad URL)."""
    if not raw or len(raw) > MAX_URL_LENGTH or any(char.isspace() or ord(char) < 32 for char in raw):
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return quote(raw, safe=_URL_SAFE)


def ordered_alerts(payload: WebhookPayload) -> list[Alert]:
    """Firing before resolved, then by severity, then by start time: the most urgent reads first."""
    return sorted(
        payload.alerts,
        key=lambda alert: (
            alert.status != "firing",
            SEVERITY_ORDER.get(alert.labels.get("severity", ""), 3),
            alert.startsAt,
        ),
    )


def is_firing(payload: WebhookPayload) -> bool:
    """A group is "firing" while any of its alerts fires, but one notification can carry only resolved
    alerts (some truncated, or the firing ones sent to another receiver): that one reads as resolved."""
    return payload.status == "firing" and any(alert.status == "firing" for alert in payload.alerts)


def headline(payload: WebhookPayload) -> str:
    """`[FIRING:3] HyperliquidOracleDeviation coin=BTC`, in the spirit of Alertmanager's own subject."""
    firing = sum(1 for alert in payload.alerts if alert.status == "firing")
    status = f"FIRING:{firing}" if is_firing(payload) else "RESOLVED"
    names = payload.groupLabels.get("alertname") or payload.commonLabels.get("alertname") or "alerts"
    others = " ".join(
        f"{key}={value}" for key, value in sorted(payload.groupLabels.items()) if key != "alertname"
    )
    return f"[{status}] {names}" + (f" {others}" if others else "")


def alert_title(alert: Alert) -> str:
    summary = alert.annotations.get("summary", "")
    return summary or alert.alertname or "alert"


def extra_labels(alert: Alert, payload: WebhookPayload) -> list[tuple[str, str]]:
    """Labels worth showing per alert: not the group's (already in the headline) nor name/severity."""
    return [
        (key, value)
        for key, value in sorted(alert.labels.items())
        if key not in HIDDEN_LABELS and payload.groupLabels.get(key) != value
    ]


def status_line(alert: Alert) -> str:
    severity = alert.labels.get("severity", "unknown")
    if alert.status == "resolved":
        return f"resolved after {_duration(alert.startsAt, alert.endsAt)}"
    started = in_utc(alert.startsAt)
    if started is None:  # shown as sent, offset included
        return f"{severity}, since {alert.startsAt.isoformat()}"
    return f"{severity}, since {started.strftime('%Y-%m-%d %H:%M:%S UTC')}"


def in_utc(moment: datetime) -> datetime | None:
    """`moment` in UTC, or None when UTC cannot hold it (`0001-01-01T00:00:00+14:00` is in year 0)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def _duration(start: datetime, end: datetime) -> str:
    return duration_text((end - start).total_seconds())


def duration_text(total_seconds: float) -> str:
    """`2d03h`, `1h05m`, `4m10s` or `7s`."""
    seconds = max(0, int(total_seconds))
    days, seconds = divmod(seconds, 86400)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def pack(
    items: Sequence[T], size: Callable[[T], int], budget: int, max_items: int | None = None
) -> list[list[T]]:
    """Split items, in order, into parts whose sizes add up to at most `budget` (and at most
    `max_items` items); an item larger than the budget gets a part of its own."""
    parts: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        item_size = size(item)
        full = max_items is not None and len(current) == max_items
        if current and (full or used + item_size > budget):
            parts.append(current)
            current, used = [], 0
        current.append(item)
        used += item_size
    if current:
        parts.append(current)
    return parts
