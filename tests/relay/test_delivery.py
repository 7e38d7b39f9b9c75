"""End to end in one process: captured Alertmanager webhooks through the relay to the fake chat APIs."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter import __version__
from exporter.build import REVISION_ENV
from tests.relay.fake_chat import FakeChatAPI, Window, fake_chat_api
from tests.relay.harness import (
    AUTH,
    fixture_body,
    group_payload,
    metric_value,
    relay_config,
    running_relay,
    wait_until,
)


@pytest.fixture
def fake() -> Iterator[FakeChatAPI]:
    with fake_chat_api() as api:
        yield api


async def test_captured_firing_and_resolved_reach_both_platforms(fake: FakeChatAPI, tmp_path: Path) -> None:
    config = relay_config(fake.url, str(tmp_path / "q.sqlite3"))
    async with running_relay(config) as (_, client):
        # One state at a time: a resolved that arrives while its firing still waits its turn supersedes
        # it (tests/relay/test_faults.py), so posting both at once would depend on the machine's speed.
        for delivered, name in enumerate(("am025_webhook_firing", "am025_webhook_resolved"), start=1):
            for channel in ("telegram", "discord"):
                response = await client.post(f"/webhook/{channel}", json=fixture_body(name), headers=AUTH)
                assert response.status_code == 200, response.text
                assert response.json() == {"status": "queued", "messages": 1}
            telegram = await fake.until("telegram", delivered)
            discord = await fake.until("discord", delivered)
    assert "FIRING:1" in telegram[0]
    assert "Margin ratio 95% &lt;b&gt;&amp;" in telegram[0]
    assert "RESOLVED" in telegram[1]
    assert "resolved after 4s" in telegram[1]
    firing_embed = fake.delivered[[d.platform for d in fake.delivered].index("discord")].payload["embeds"][0]
    assert firing_embed["title"] == "🔥 CRITICAL: Margin ratio 95% <b>&"
    assert "RESOLVED" in discord[1]


async def test_redeliveries_are_acknowledged_but_not_sent_twice(fake: FakeChatAPI, tmp_path: Path) -> None:
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.sqlite3"))) as (_, client):
        answers = []
        for _ in range(3):  # Alertmanager retry, HA peer, retry again
            response = await client.post(
                "/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH
            )
            answers.append(response.json()["status"])
        await fake.until("telegram", 1)  # sent before the resolved state can supersede it
        resolved = await client.post(
            "/webhook/telegram", json=fixture_body("am025_webhook_resolved"), headers=AUTH
        )
        assert resolved.json()["status"] == "queued"
        await fake.until("telegram", 2)
        exposition = (await client.get("/metrics")).text
    assert answers == ["queued", "duplicate", "duplicate"]
    assert fake.count("telegram") == 2
    assert metric_value(exposition, "hyperliquid_relay_webhooks_duplicate_total", channel="telegram") == 2


async def test_telegram_retry_after_is_honoured(fake: FakeChatAPI, tmp_path: Path) -> None:
    fake.behaviour.script.extend(["429:1"])
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.sqlite3"))) as (service, client):
        started = time.monotonic()
        await client.post("/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        await fake.until("telegram", 1)
        # Counted before the delivery is recorded: an empty queue means the counters are final.
        await wait_until(lambda: service._require_queue().backlog() == {}, what="delivery recorded")
        exposition = (await client.get("/metrics")).text
    assert fake.delivered[0].at - started >= 1.0  # the retry came after Telegram's retry_after
    assert (
        metric_value(
            exposition,
            "hyperliquid_relay_notifications_failed_total",
            channel="telegram",
            reason="rate_limited",
        )
        == 1
    )
    assert metric_value(exposition, "hyperliquid_relay_notifications_total", channel="telegram") == 1


async def test_discord_429_without_via_and_429_then_400(fake: FakeChatAPI, tmp_path: Path) -> None:
    """No discord-webhook crash: HTTPException on a 429 without Via, AttributeError on a 429 then 400."""
    fake.behaviour.discord_429_via_header = False
    fake.behaviour.script.extend(["429:0.3", "429:0.2", "400"])
    # Another group: a newer state of the same group would supersede the first message instead.
    body_resolved = group_payload("other", ["00000000000000ff"], status="resolved")
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.sqlite3"))) as (service, client):
        started = time.monotonic()
        await client.post("/webhook/discord", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        await client.post("/webhook/discord", json=body_resolved, headers=AUTH)
        texts = await fake.until("discord", 1)
        await wait_until(lambda: service._require_queue().backlog() == {}, what="empty queue")
        exposition = (await client.get("/metrics")).text
        rejected = service._require_queue().count("rejected")
    # First message: 429, 429 (pauses honoured: Retry-After header rounds up to 1 s), then refused with 400.
    assert fake.delivered[0].at - started >= 1.0
    assert texts == fake.texts("discord")
    assert len(texts) == 1
    assert "RESOLVED" in texts[0]
    assert (
        metric_value(
            exposition, "hyperliquid_relay_notifications_failed_total", channel="discord", reason="rejected"
        )
        == 1
    )
    assert (
        metric_value(
            exposition,
            "hyperliquid_relay_notifications_failed_total",
            channel="discord",
            reason="rate_limited",
        )
        == 2
    )
    assert rejected == 1


async def test_server_errors_and_slow_answers_are_retried(fake: FakeChatAPI, tmp_path: Path) -> None:
    fake.behaviour.script.extend(["500", "slow:0.5", "502"])
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.sqlite3"))) as (service, client):
        await client.post("/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        # Another group: a newer state of the same group would supersede the first message instead.
        resolved = group_payload("other", ["00000000000000ff"], status="resolved")
        await client.post("/webhook/telegram", json=resolved, headers=AUTH)
        texts = await fake.until("telegram", 2)
        await wait_until(lambda: service._require_queue().backlog() == {}, what="deliveries recorded")
        exposition = (await client.get("/metrics")).text
    assert "FIRING" in texts[0]
    assert "RESOLVED" in texts[1]
    assert len(texts) == 2
    assert (
        metric_value(
            exposition,
            "hyperliquid_relay_notifications_failed_total",
            channel="telegram",
            reason="server_error",
        )
        == 2
    )


async def test_telegram_bad_request_is_set_aside_and_the_queue_moves_on(
    fake: FakeChatAPI, tmp_path: Path
) -> None:
    fake.behaviour.script.extend(["400"])
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.sqlite3"))) as (service, client):
        await client.post("/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        # The firing is refused before the resolved is posted (else the resolved could supersede it unsent).
        await wait_until(lambda: service._require_queue().count("rejected") == 1, what="firing set aside")
        await client.post("/webhook/telegram", json=fixture_body("am025_webhook_resolved"), headers=AUTH)
        texts = await fake.until("telegram", 1)
        await wait_until(lambda: service._require_queue().backlog() == {}, what="empty queue")
        rejected = service._require_queue().count("rejected")
    assert len(texts) == 1
    assert "RESOLVED" in texts[0]
    assert rejected == 1


async def test_chat_api_down_for_a_while_loses_nothing(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Both platforms answer 502 pages for seconds (minutes in real life: only the hold time differs)."""
    fake.behaviour.down_until = time.monotonic() + 3.0
    config = relay_config(fake.url, str(tmp_path / "q.sqlite3"))
    fingerprints = [f"{index:016x}" for index in range(5)]
    async with running_relay(config) as (service, client):
        for index, fingerprint in enumerate(fingerprints):
            for channel in ("telegram", "discord"):
                body = group_payload(f"g{index}", [fingerprint])
                assert (await client.post(f"/webhook/{channel}", json=body, headers=AUTH)).status_code == 200
        await asyncio.sleep(1.0)
        during = (await client.get("/metrics")).text
        telegram = await fake.until("telegram", 5)
        discord = await fake.until("discord", 5)
        await wait_until(lambda: service._require_queue().backlog() == {}, what="empty queue")
        after = (await client.get("/metrics")).text
    assert fake.responses["502"] > 2
    for channel in ("telegram", "discord"):
        assert metric_value(during, "hyperliquid_relay_queue_depth", channel=channel) == 5
        assert metric_value(during, "hyperliquid_relay_queue_oldest_age_seconds", channel=channel) > 0.5
        assert (
            metric_value(
                during, "hyperliquid_relay_notifications_failed_total", channel=channel, reason="server_error"
            )
            > 0
        )
        assert metric_value(after, "hyperliquid_relay_queue_depth", channel=channel) == 0
        assert metric_value(after, "hyperliquid_relay_queue_oldest_age_seconds", channel=channel) == 0
        assert metric_value(after, "hyperliquid_relay_delivery_latency_seconds_count", channel=channel) == 5
        assert (
            metric_value(
                after, "hyperliquid_relay_delivery_latency_seconds_bucket", channel=channel, le="1.0"
            )
            == 0
        )
    for texts in (telegram, discord):  # every message once; groups are independent, so order may vary
        seen = [re.search(r"alert ([0-9a-f]{16})", text).group(1) for text in texts]  # type: ignore[union-attr]
        assert sorted(seen) == fingerprints


async def test_pacing_keeps_under_the_enforced_limits(fake: FakeChatAPI, tmp_path: Path) -> None:
    fake.behaviour.enforce_limits = True
    fake.behaviour.telegram_limits = (Window(1, 0.2), Window(4, 1.5))
    fake.behaviour.discord_limits = (Window(2, 0.5),)
    config = relay_config(
        fake.url,
        str(tmp_path / "q.sqlite3"),
        # Paced slower than the fake enforces: loopback jitter on a shared, busy machine (tens of ms) is
        # larger than the pacer's 5% margin at these short periods.
        telegram={"pacing": [{"messages": 1, "period_seconds": 0.4}, {"messages": 4, "period_seconds": 2.0}]},
        discord={"pacing": [{"messages": 2, "period_seconds": 1.0}]},
    )
    async with running_relay(config) as (_, client):
        for index in range(8):
            for channel in ("telegram", "discord"):
                await client.post(
                    f"/webhook/{channel}", json=group_payload(f"g{index}", [f"{index:016x}"]), headers=AUTH
                )
        await fake.until("telegram", 8)
        await fake.until("discord", 8)
    assert fake.responses["429"] == 0, dict(fake.answers)


async def test_answers_slower_than_the_timeout_are_retried(fake: FakeChatAPI, tmp_path: Path) -> None:
    """A timed-out send may still have been accepted: delivery is at least once there (docs/relay.md)."""
    fake.behaviour.script.extend(["slow:1.5", "slow:1.5"])
    config = relay_config(fake.url, str(tmp_path / "q.sqlite3"), retry={"request_timeout_seconds": 0.5})
    async with running_relay(config) as (service, client):
        await client.post("/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        await client.post("/webhook/discord", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        await fake.until("telegram", 1)
        await fake.until("discord", 1)
        await wait_until(lambda: service._require_queue().backlog() == {}, what="deliveries recorded")
        exposition = (await client.get("/metrics")).text
    failed = "hyperliquid_relay_notifications_failed_total"
    channels = ("telegram", "discord")
    timeouts = [metric_value(exposition, failed, channel=c, reason="timeout") for c in channels]
    assert sum(timeouts) == 2  # the first two requests, whichever platform made them
    for channel in ("telegram", "discord"):
        assert metric_value(exposition, "hyperliquid_relay_notifications_total", channel=channel) == 1


async def test_build_info_names_the_running_version(
    fake: FakeChatAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REVISION_ENV, "0123abcd")
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.sqlite3"))) as (_, client):
        exposition = (await client.get("/metrics")).text
    assert (
        metric_value(exposition, "hyperliquid_relay_build_info", version=__version__, revision="0123abcd")
        == 1
    )
