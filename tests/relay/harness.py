"""Shared helpers for relay tests: configs pointing at the fakes, fixtures, an in-process relay."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from exporter.relay.app import create_app
from exporter.relay.config import RelayConfig
from exporter.relay.service import RelayService
from tests.support.binaries import FIXTURES_DIR

AM_REQUESTS = FIXTURES_DIR / "alertmanager-0.25-requests"
TOKEN = "relay-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHAT_ID = -100123


def fixture_body(name: str) -> dict[str, Any]:
    """The webhook body Alertmanager 0.25 really sent (am025_webhook_firing / _resolved)."""
    document = json.loads((AM_REQUESTS / f"{name}.json").read_text())
    return dict(document["body"])


def group_payload(
    group: str, fingerprints: list[str], status: str = "firing", **annotations: str
) -> dict[str, Any]:
    """A captured webhook turned into another group with the given alerts."""
    body = fixture_body("am025_webhook_firing" if status == "firing" else "am025_webhook_resolved")
    template = body["alerts"][0]
    alerts = []
    for fingerprint in fingerprints:
        alert = copy.deepcopy(template)
        alert["fingerprint"] = fingerprint
        alert["labels"]["account"] = fingerprint
        alert["annotations"].update(annotations)
        alert["annotations"]["summary"] = f"alert {fingerprint} in {group}"
        alerts.append(alert)
    body["alerts"] = alerts
    body["groupKey"] = f'{{}}:{{group="{group}"}}'
    body["groupLabels"] = {"alertname": "HyperliquidMarginRatioHigh", "group": group}
    return body


def relay_config(api_url: str, queue_path: str, **overrides: Any) -> RelayConfig:
    """Both channels pointed at the fake; fast pacing and retries so tests stay short."""
    settings: dict[str, Any] = {
        "queue_path": queue_path,
        "bearer_token": TOKEN,
        "grafana_base_url": "https://grafana.example.org",
        "retry": {
            "attempts": 3,
            "initial_backoff_seconds": 0.05,
            "max_backoff_seconds": 0.2,
            "hold_seconds": 0.3,
            "request_timeout_seconds": 5,
        },
        "telegram": {
            "api_url": api_url,
            "bot_token": "123:ABC",
            "chat_id": CHAT_ID,
            "pacing": [{"messages": 1, "period_seconds": 0.02}],
        },
        "discord": {
            "webhook_url": f"{api_url}/api/webhooks/1/tok",
            "pacing": [{"messages": 1, "period_seconds": 0.02}],
        },
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return RelayConfig.model_validate(settings)


@asynccontextmanager
async def running_relay(
    config: RelayConfig, **service_options: Any
) -> AsyncIterator[tuple[RelayService, httpx.AsyncClient]]:
    """The relay app with its workers running in this event loop, reached through ASGI (no socket).

    `service_options` go to RelayService (clock, monotonic, speed: fast-forwarded time)."""
    service = RelayService(config, **service_options)
    app = create_app(service)
    await service.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://relay"
        ) as client:
            yield service, client
    finally:
        await service.stop()


def metric_value(exposition: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"{name}{labels} not in exposition")


async def wait_until(predicate: Any, within: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {within}s waiting for {what}")
