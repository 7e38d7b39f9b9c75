"""Webhook intake: authentication, size limit, validation, persistence failures, health and metrics."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.relay.redact import RedactSecrets, relay_secrets
from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.relay.harness import AUTH, fixture_body, metric_value, relay_config, running_relay


@pytest.fixture
def fake() -> Iterator[FakeChatAPI]:
    with fake_chat_api() as api:
        yield api


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic cmVsYXk6dG9rZW4="},
        {"Authorization": "Bearer"},
    ],
)
async def test_requests_without_the_bearer_token_are_refused(
    fake: FakeChatAPI, tmp_path: Path, headers
) -> None:
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (_service, client):
        response = await client.post(
            "/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=headers
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "bearer token" in response.json()["error"]
        exposition = (await client.get("/metrics")).text
    assert (
        metric_value(
            exposition, "hyperliquid_relay_webhooks_rejected_total", channel="telegram", reason="unauthorized"
        )
        == 1
    )
    assert metric_value(exposition, "hyperliquid_relay_webhooks_received_total", channel="telegram") == 1
    assert fake.count("telegram") == 0


async def test_oversized_bodies_are_refused(fake: FakeChatAPI, tmp_path: Path) -> None:
    config = relay_config(fake.url, str(tmp_path / "q.db"), max_body_bytes=2048)
    body = fixture_body("am025_webhook_firing")
    body["commonAnnotations"]["description"] = "x" * 4000
    async with running_relay(config) as (_, client):
        response = await client.post("/webhook/discord", json=body, headers=AUTH)
        assert response.status_code == 413
        assert "max_body_bytes=2048" in response.json()["error"]

        async def chunks():  # no Content-Length: the limit holds while streaming too
            yield json.dumps(body).encode()

        streamed = await client.post("/webhook/discord", content=chunks(), headers=AUTH)
        assert streamed.status_code == 413
        exposition = (await client.get("/metrics")).text
    assert (
        metric_value(
            exposition, "hyperliquid_relay_webhooks_rejected_total", channel="discord", reason="too_large"
        )
        == 2
    )


async def test_malformed_payloads_get_a_400_naming_the_field(fake: FakeChatAPI, tmp_path: Path) -> None:
    body = fixture_body("am025_webhook_firing")
    del body["alerts"][0]["fingerprint"]
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (service, client):
        response = await client.post("/webhook/telegram", json=body, headers=AUTH)
        assert response.status_code == 400
        assert (
            response.json()["error"]
            == "invalid Alertmanager webhook payload: alerts.0.fingerprint: Field required"
        )
        not_json = await client.post("/webhook/telegram", content=b"{oops", headers=AUTH)
        assert not_json.status_code == 400
        assert "not JSON" in not_json.json()["error"]
        assert await service_backlog(service) == {}


async def service_backlog(service) -> dict[str, int]:
    return {channel: entry.depth for channel, entry in service._require_queue().backlog().items()}


async def test_unknown_and_unconfigured_channels(fake: FakeChatAPI, tmp_path: Path) -> None:
    config = relay_config(fake.url, str(tmp_path / "q.db"), discord=None)
    async with running_relay(config) as (_, client):
        unknown = await client.post("/webhook/slack", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        assert unknown.status_code == 404
        unconfigured = await client.post(
            "/webhook/discord", json=fixture_body("am025_webhook_firing"), headers=AUTH
        )
        assert unconfigured.status_code == 404
        assert unconfigured.json()["error"] == "channel discord is not configured in relay"


async def test_5xx_only_when_the_webhook_cannot_be_persisted(fake: FakeChatAPI, tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    async with running_relay(relay_config(fake.url, str(path))) as (_, client):
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database: the insert cannot commit
        try:
            response = await client.post(
                "/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH
            )
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert response.status_code == 503
        assert "could not persist" in response.json()["error"]
        # Alertmanager retries a 5xx; once the database is writable again the same webhook is accepted.
        retried = await client.post(
            "/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH
        )
        assert retried.status_code == 200
        assert retried.json()["status"] == "queued"
        await fake.until("telegram", 1)
        exposition = (await client.get("/metrics")).text
    assert (
        metric_value(
            exposition,
            "hyperliquid_relay_webhooks_rejected_total",
            channel="telegram",
            reason="persist_failed",
        )
        == 1
    )


async def test_health_readiness_and_metric_families(fake: FakeChatAPI, tmp_path: Path) -> None:
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (service, client):
        assert (await client.get("/-/healthy")).status_code == 200
        assert (await client.get("/-/ready")).status_code == 200
        exposition = (await client.get("/metrics")).text
        service.ready = False
        assert (await client.get("/-/ready")).status_code == 503
        service.ready = True
    for channel in ("telegram", "discord"):
        assert metric_value(exposition, "hyperliquid_relay_queue_depth", channel=channel) == 0
        assert metric_value(exposition, "hyperliquid_relay_queue_oldest_age_seconds", channel=channel) == 0
        assert metric_value(exposition, "hyperliquid_relay_notifications_total", channel=channel) == 0
        assert (
            metric_value(
                exposition,
                "hyperliquid_relay_notifications_failed_total",
                channel=channel,
                reason="rate_limited",
            )
            == 0
        )
        assert (
            metric_value(exposition, "hyperliquid_relay_delivery_latency_seconds_count", channel=channel) == 0
        )


def test_secrets_do_not_appear_in_the_config_repr(tmp_path: Path) -> None:
    config = relay_config("http://127.0.0.1:1", str(tmp_path / "q.db"))
    text = repr(config) + str(config.model_dump())
    assert "123:ABC" not in text
    assert "relay-test-token" not in text
    assert "/api/webhooks/1/tok" not in text


def test_log_redaction_replaces_every_secret(tmp_path: Path) -> None:
    config = relay_config("http://127.0.0.1:1", str(tmp_path / "q.db"))
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    handler.addFilter(RedactSecrets(relay_secrets(config)))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("url %s/bot%s and %s", "http://x", "123:ABC", "http://127.0.0.1:1/api/webhooks/1/tok")
        logger.warning("Bearer relay-test-token")
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage() for record in records] == [
        "url http://x/bot<secret> and <secret>",
        "Bearer <secret>",
    ]


async def test_a_start_time_out_of_utc_range_is_queued_not_refused(fake: FakeChatAPI, tmp_path: Path) -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"][0]["startsAt"] = "0001-01-01T00:00:00+14:00"
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (_service, client):
        for channel in ("telegram", "discord"):
            response = await client.post(f"/webhook/{channel}", json=body, headers=AUTH)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "queued"
