"""The stages after the scrape, read once the run is over: Prometheus's stored samples and ALERTS
series, Alertmanager's native receivers (the recording sink) and the relay's chat messages.

All times are wall-clock epoch seconds. Prometheus stamps a scraped sample with the scrape's start and
an ALERTS sample with the rule evaluation's time; the sink stamps arrival with time.time(); the fake chat
API stamps deliveries with time.monotonic(), converted here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import httpx

from benchmarks.latency_signals import Watch
from benchmarks.latency_timeline import Sample, Snapshot, Timeline
from tests.support.stack import SLACK_PATH, WEBHOOK_PATH, Stack


def _instant(prometheus_url: str, expr: str) -> list[dict[str, object]]:
    response = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": expr}, timeout=30)
    response.raise_for_status()
    result: list[dict[str, object]] = response.json()["data"]["result"]
    return result


def _range_selector(seconds: float) -> str:
    return f"[{int(seconds) + 1}s]"


def scraped_timeline(stack: Stack, metrics: tuple[str, ...], seconds: float) -> Timeline:
    """Every stored sample of `metrics` from the exporter's job, one snapshot per scrape."""
    by_time: dict[float, Snapshot] = {}
    for name in sorted(set(metrics)):
        expr = f'{name}{{job="hyperliquid"}}{_range_selector(seconds)}'
        for series in _instant(stack.prometheus_url, expr):
            labels = {k: str(v) for k, v in dict(series["metric"]).items() if k != "__name__"}  # type: ignore[call-overload]
            for at, value in series["values"]:  # type: ignore[attr-defined]
                by_time.setdefault(float(at), {}).setdefault(name, []).append(
                    Sample(name, labels, float(value))
                )
    timeline = Timeline()
    for at in sorted(by_time):
        timeline.add(at, by_time[at])
    return timeline


@dataclass(frozen=True)
class AlertTimes:
    active_at: float | None  # first evaluation with the expression true (pending, or firing without `for`)
    firing_at: float | None


def alert_times(stack: Stack, watch: Watch, seconds: float) -> AlertTimes:
    matchers = [f'alertname="{watch.alertname}"', f'severity="{watch.severity}"']
    if watch.coin:
        matchers.append(f'coin="{watch.coin}"')
    expr = f"ALERTS{{{','.join(matchers)}}}{_range_selector(seconds)}"
    first: dict[str, float] = {}
    for series in _instant(stack.prometheus_url, expr):
        state = str(dict(series["metric"])["alertstate"])  # type: ignore[call-overload]
        times = [float(at) for at, _ in series["values"]]  # type: ignore[attr-defined]
        if times:
            first[state] = min(first.get(state, times[0]), times[0])
    active = [at for at in (first.get("pending"), first.get("firing")) if at is not None]
    return AlertTimes(min(active) if active else None, first.get("firing"))


def _mentions(text: str, watch: Watch) -> bool:
    if watch.alertname not in text:
        return False
    return watch.coin is None or re.search(rf"\b{re.escape(watch.coin)}\b", text) is not None


def alertmanager_sent_at(stack: Stack, watch: Watch) -> float | None:
    """Arrival at the receiver Alertmanager notifies together with the relay: the generic webhook for
    criticals (one group per subject), Slack for warnings (grouped by alert name, like the chats)."""
    if watch.severity == "critical":
        for request in stack.sink.received(WEBHOOK_PATH):
            for alert in request.body.get("alerts", []):
                labels = alert["labels"]
                if (
                    alert["status"] == "firing"
                    and labels.get("alertname") == watch.alertname
                    and labels.get("severity") == watch.severity
                    and (watch.coin is None or labels.get("coin") == watch.coin)
                ):
                    return request.received_at
        return None
    for request in stack.sink.received(SLACK_PATH):
        for attachment in request.body.get("attachments", []):
            text = f"{attachment.get('title', '')}\n{attachment.get('text', '')}"
            if "FIRING" in text and f"({watch.severity})" in text and _mentions(text, watch):
                return request.received_at
    return None


def chat_delivered_at(stack: Stack, watch: Watch) -> float | None:
    """First message on the watch's chat (Telegram for criticals, Discord for warnings) about it."""
    monotonic_to_wall = time.time() - time.monotonic()
    for item in list(stack.chat.delivered):
        if item.platform == watch.chat and "FIRING" in item.text.upper() and _mentions(item.text, watch):
            return item.at + monotonic_to_wall
    return None
