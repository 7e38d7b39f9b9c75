"""Fault matrix (issue 18): each way the relay could silence a channel, resend, or lose an alert unnoticed.

Every test reproduces one fault against the loopback chat fakes and asserts what the chats receive: each
accepted alert exactly once, or at least once where docs/relay.md (Delivery) documents it, and the metric that
makes the fault visible. docs/relay.md lists the same faults with the measured behaviour.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from exporter.relay.config import DISCORD_DEFAULT_PACING, TELEGRAM_DEFAULT_PACING, RelayConfig
from exporter.relay.queue import DurableQueue, QueueInUseError
from exporter.relay.service import SHUTDOWN_GRACE_SECONDS, RelayService
from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.relay.harness import (
    AUTH,
    fixture_body,
    group_payload,
    metric_value,
    relay_config,
    running_relay,
    wait_until,
)
from tests.relay.test_queue_schema import write_v0_queue
from tests.support.binaries import REPO_ROOT

FINGERPRINT = re.compile(r"alert ([0-9a-f]{16})")
CHANNELS = ("telegram", "discord")


@pytest.fixture
def fake() -> Iterator[FakeChatAPI]:
    with fake_chat_api() as api:
        yield api


def fingerprints(texts: list[str]) -> list[str]:
    return [match for text in texts for match in FINGERPRINT.findall(text)]


def assert_each_once(fake: FakeChatAPI, platform: str, expected: list[str]) -> None:
    seen = Counter(fingerprints(fake.texts(platform)))
    assert sorted(seen) == sorted(expected), f"{platform}: delivered {sorted(seen)}"
    assert set(seen.values()) == {1}, f"{platform}: sent more than once: {seen}"


async def post_groups(client: httpx.AsyncClient, channel: str, count: int, prefix: str = "g") -> list[str]:
    expected = []
    for index in range(count):
        fingerprint = f"{index:016x}"
        body = group_payload(f"{prefix}{index}", [fingerprint])
        response = await client.post(f"/webhook/{channel}", json=body, headers=AUTH)
        assert response.status_code == 200, response.text
        expected.append(fingerprint)
    return expected


async def empty_queue(service: RelayService) -> None:
    await wait_until(lambda: service._require_queue().backlog() == {}, what="empty queue")


# --- one 429 must not silence a channel ------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_absurd_retry_after_is_capped_and_the_channel_keeps_sending(
    fake: FakeChatAPI, tmp_path: Path, channel: str
) -> None:
    """Fault: `retry_after=1e9` was honoured uncapped and stored in the message: 0 of 6 delivered."""
    fake.behaviour.script.extend(["429:1000000000"])
    config = relay_config(fake.url, str(tmp_path / "q.db"), retry={"max_retry_after_seconds": 0.5})
    async with running_relay(config) as (service, client):
        expected = await post_groups(client, channel, 6)
        await fake.until(channel, 6, within=20)
        await empty_queue(service)
        exposition = (await client.get("/metrics")).text
    assert_each_once(fake, channel, expected)
    failed = "hyperliquid_relay_notifications_failed_total"
    assert metric_value(exposition, failed, channel=channel, reason="rate_limited") == 1


async def test_a_wait_stored_by_an_older_relay_is_cut_to_the_cap(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Fault: the 1e9 wait was stored in the queue, so the channel stayed silent after a restart too."""
    path = tmp_path / "q.db"
    body = {"text": "alert 00000000000000aa in g"}
    write_v0_queue(path, [("telegram", "g", body, time.time() + 1e9)])
    config = relay_config(fake.url, str(path), retry={"max_retry_after_seconds": 0.5, "hold_seconds": 0.3})
    async with running_relay(config) as (service, _):
        await fake.until("telegram", 1, within=10)
        await empty_queue(service)
    assert fake.texts("telegram") == [body["text"]]


# --- a delivery that cannot be recorded is not resent ------------------------------------------------------


async def test_unrecorded_delivery_stops_the_channel_instead_of_resending(
    fake: FakeChatAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault: with the disk full the delivered message stayed pending and went out every hold period (7x)."""
    caplog.set_level(logging.INFO, logger="exporter.relay")
    config = relay_config(fake.url, str(tmp_path / "q.db"))
    async with running_relay(config) as (service, client):
        queue = service._require_queue()
        original = queue.mark_delivered
        failures = {"left": 4}

        def disk_full(*args: Any, **kwargs: Any) -> None:
            if failures["left"] > 0:
                failures["left"] -= 1
                raise sqlite3.OperationalError("database or disk is full")
            original(*args, **kwargs)

        queue.mark_delivered = disk_full  # type: ignore[method-assign]
        expected = await post_groups(client, "telegram", 3)
        await wait_until(lambda: failures["left"] < 4, what="a failed record")
        stalled = (await client.get("/metrics")).text
        sent_while_stalled = fake.count("telegram")
        await fake.until("telegram", 3, within=20)
        await empty_queue(service)
        after = (await client.get("/metrics")).text
    assert sent_while_stalled == 1
    assert metric_value(stalled, "hyperliquid_relay_delivery_stalled", channel="telegram") == 1
    assert metric_value(after, "hyperliquid_relay_delivery_stalled", channel="telegram") == 0
    assert metric_value(after, "hyperliquid_relay_record_failures_total", channel="telegram") == 4
    assert_each_once(fake, "telegram", expected)
    logged = caplog.text
    assert "database or disk is full" in logged
    assert "could not be recorded" in logged


def test_a_full_disk_reports_its_cause_not_a_rollback_error(tmp_path: Path) -> None:
    """Fault: the log said "cannot rollback - no transaction is active" instead of the cause."""
    queue = DurableQueue(tmp_path / "q.db")
    queue._db.execute("PRAGMA max_page_count = 1")  # every page in use: the next insert hits SQLITE_FULL
    pages = queue._db.execute("PRAGMA page_count").fetchone()[0]
    queue._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.Error) as caught:
        queue.enqueue("telegram", "g", "k", [{"text": "x" * 100_000}], 0.0, 60)
    assert "full" in str(caught.value)
    assert not queue._db.in_transaction
    queue.close()


# --- exactly one sender per queue file ---------------------------------------------------------------------


def test_a_second_sender_on_the_same_queue_is_refused(tmp_path: Path) -> None:
    """Fault: two relays on one queue file turned 20 webhooks into 35 messages."""
    path = tmp_path / "q.db"
    first = DurableQueue(path)
    with pytest.raises(QueueInUseError, match=r"in use by another relay process \(pid \d+"):
        DurableQueue(path)
    first.close()
    DurableQueue(path).close()  # free again once the owner closes it


# --- shutdown fits Docker's grace ------------------------------------------------------------------------


def test_compose_grace_covers_the_relays_longest_shutdown() -> None:
    """Fault: the relay took up to 20 s to stop, Docker killed it at 10 s: the message in flight doubled."""
    compose = yaml.safe_load((REPO_ROOT / "deploy" / "docker-compose.yml").read_text())
    grace = compose["services"]["relay"]["stop_grace_period"]
    match = re.fullmatch(r"(\d+)s", grace)
    assert match is not None, f"stop_grace_period {grace!r} should be in seconds"
    shipped = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())["relay"]["retry"]
    longest_stop = shipped["request_timeout_seconds"] + SHUTDOWN_GRACE_SECONDS
    assert int(match.group(1)) > longest_stop


# --- unexpected bodies answer 4xx and are counted ------------------------------------------------------


def hostile(name: str) -> bytes:
    body = fixture_body("am025_webhook_firing")
    if name == "deep nesting":
        return b'{"version": "4", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    if name == "5000-digit integer":
        return json.dumps(body).replace('"truncatedAlerts": 0', '"truncatedAlerts": ' + "9" * 5000).encode()
    if name == "lone surrogate":
        body["alerts"][0]["labels"]["account"] = "PLACEHOLDER"
        return json.dumps(body).replace("PLACEHOLDER", "\\ud800").encode()
    if name == "naive and aware timestamps":
        second = json.loads(json.dumps(body["alerts"][0]))
        second["fingerprint"] = "0000000000000002"
        second["startsAt"] = "2026-11-25T16:47:37"
        body["alerts"].append(second)
        return json.dumps(body).encode()
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name", ["deep nesting", "5000-digit integer", "lone surrogate", "naive and aware timestamps"]
)
async def test_unexpected_bodies_get_a_4xx_and_are_counted(
    fake: FakeChatAPI, tmp_path: Path, name: str
) -> None:
    """Fault: these answered 500, uncounted; docs/relay.md promises 503 as the only 5xx."""
    raw = hostile(name)
    if name == "5000-digit integer":
        assert '"truncatedAlerts": 9999' in raw.decode()
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (service, client):
        response = await client.post("/webhook/telegram", content=raw, headers=AUTH)
        exposition = (await client.get("/metrics")).text
        assert service._require_queue().backlog() == {}
    assert response.status_code == 400, response.text
    assert (
        metric_value(
            exposition,
            "hyperliquid_relay_webhooks_rejected_total",
            channel="telegram",
            reason="invalid_payload",
        )
        == 1
    )


async def test_a_body_sent_too_slowly_gets_408(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Fault: no request read timeout, so a stalled client held a request open forever."""
    config = relay_config(fake.url, str(tmp_path / "q.db"), request_read_timeout_seconds=0.3)

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"version": '
        await asyncio.sleep(30)
        yield b'"4"}'

    async with running_relay(config) as (_, client):
        response = await asyncio.wait_for(
            client.post("/webhook/discord", content=trickle(), headers=AUTH), timeout=10
        )
        exposition = (await client.get("/metrics")).text
    assert response.status_code == 408
    assert (
        metric_value(
            exposition, "hyperliquid_relay_webhooks_rejected_total", channel="discord", reason="read_timeout"
        )
        == 1
    )


# --- links and times ---------------------------------------------------------------------------------


async def test_runbook_url_cannot_inject_a_link_and_a_bad_url_cannot_sink_a_message(
    fake: FakeChatAPI, tmp_path: Path
) -> None:
    """Fault: `)[CLICK ME](https://evil.example` added a link; a malformed URL got the message refused."""
    injected = group_payload(
        "inject", ["00000000000000a1"], runbook_url="https://ok.example/)[CLICK ME](https://evil.example"
    )
    malformed = group_payload("malformed", ["00000000000000a2"], runbook_url="https://[::1/runbook")
    malformed["alerts"][0]["generatorURL"] = "http://prometheus:99999/graph"
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (service, client):
        for body in (injected, malformed):
            for channel in CHANNELS:
                assert (await client.post(f"/webhook/{channel}", json=body, headers=AUTH)).status_code == 200
        await fake.until("discord", 2)
        await fake.until("telegram", 2)
        await empty_queue(service)
        rejected = service._require_queue().count("rejected")
    assert rejected == 0
    discord = [item.payload for item in fake.delivered if item.platform == "discord"]
    for payload in discord:
        description = payload["embeds"][0]["description"]
        titles = re.findall(r"(?<!\\)\[([^\]]*)\]\(", description)
        assert set(titles) <= {"Runbook", "Grafana", "Prometheus"}, description
        assert "CLICK ME](" not in description
    telegram = fake.texts("telegram")
    assert all(text.count("<a href") == text.count("</a>") for text in telegram)
    assert "evil.example" not in re.sub(
        r"%[0-9A-F]{2}", "", " ".join(re.findall(r'href="([^"]*)"', telegram[0]))
    )


async def test_a_start_time_with_an_offset_is_shown_in_utc(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Fault: a startsAt of 10:00+05:00 was shown as 10:00 UTC instead of 05:00 UTC."""
    body = fixture_body("am025_webhook_firing")
    body["alerts"][0]["startsAt"] = "2026-11-25T10:00:00+05:00"
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (_, client):
        await client.post("/webhook/telegram", json=body, headers=AUTH)
        [text] = await fake.until("telegram", 1)
    assert "since 2026-11-25 05:00:00 UTC" in text


# --- group-aware queue, age, bound ----------------------------------------------------------------------


async def test_a_newer_state_of_a_group_replaces_the_unsent_older_one(
    fake: FakeChatAPI, tmp_path: Path
) -> None:
    """While the chat is down the group goes firing then resolved: only the resolved state is posted."""
    fake.behaviour.down_until = time.monotonic() + 1.5
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (service, client):
        for name in ("am025_webhook_firing", "am025_webhook_resolved"):
            assert (
                await client.post("/webhook/telegram", json=fixture_body(name), headers=AUTH)
            ).status_code == 200
        await fake.until("telegram", 1)
        await empty_queue(service)
        await asyncio.sleep(0.3)
        exposition = (await client.get("/metrics")).text
    [text] = fake.texts("telegram")
    assert "RESOLVED" in text
    assert metric_value(exposition, "hyperliquid_relay_messages_superseded_total", channel="telegram") == 1


async def test_a_state_superseded_while_it_waits_for_pacing_is_not_sent(
    fake: FakeChatAPI, tmp_path: Path
) -> None:
    """The older state was already taken from the queue, waiting for its pacing slot, when the newer came."""
    config = relay_config(
        fake.url, str(tmp_path / "q.db"), telegram={"pacing": [{"messages": 1, "period_seconds": 1.5}]}
    )
    async with running_relay(config) as (service, client):
        await post_groups(client, "telegram", 1, prefix="first")
        await fake.until("telegram", 1)
        firing = group_payload("b", ["00000000000000b1"])
        resolved = group_payload("b", ["00000000000000b1"], status="resolved")
        await client.post("/webhook/telegram", json=firing, headers=AUTH)
        await asyncio.sleep(0.3)  # the firing state now waits for its slot, 1.5 s after the first message
        await client.post("/webhook/telegram", json=resolved, headers=AUTH)
        await fake.until("telegram", 2)
        await empty_queue(service)
        await asyncio.sleep(0.3)
        superseded = service._require_queue().count("superseded")
    texts = fake.texts("telegram")
    assert len(texts) == 2
    assert "RESOLVED" in texts[1]
    assert superseded == 1


async def test_an_old_message_is_sent_marked_late_never_dropped(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Fault: a three-day-old FIRING message was delivered as if new."""
    offset = {"seconds": 0.0}
    config = relay_config(fake.url, str(tmp_path / "q.db"), late_after_seconds=3600)
    fake.behaviour.down_until = time.monotonic() + 2.0  # the first round fails whatever the machine's load
    clock = lambda: time.time() + offset["seconds"]  # noqa: E731
    async with running_relay(config, clock=clock) as (service, client):
        await client.post("/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        await client.post("/webhook/discord", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        offset["seconds"] = 3 * 86400.0  # three days pass while the chats are down
        telegram = await fake.until("telegram", 1)
        await fake.until("discord", 1)
        # Counted before the delivery is recorded: an empty queue means the counters are final.
        await wait_until(lambda: service._require_queue().backlog() == {}, what="deliveries recorded")
        exposition = (await client.get("/metrics")).text
    assert telegram[0].startswith("<b>⏰ LATE: accepted 3d00h ago")
    assert "FIRING:1" in telegram[0]
    discord = next(item.payload for item in fake.delivered if item.platform == "discord")
    assert discord["content"].startswith("⏰ LATE: accepted 3d00h ago")
    for channel in CHANNELS:
        assert metric_value(exposition, "hyperliquid_relay_notifications_late_total", channel=channel) == 1


async def test_a_full_queue_answers_503_and_says_so(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Fault: the queue had no bound. Now a full channel answers 503 (Alertmanager retries) and counts it."""
    fake.behaviour.down_until = time.monotonic() + 1.0
    config = relay_config(fake.url, str(tmp_path / "q.db"), max_queue_messages=3)
    async with running_relay(config) as (service, client):
        await post_groups(client, "telegram", 3)
        refused = await client.post(
            "/webhook/telegram", json=group_payload("g3", ["0000000000000003"]), headers=AUTH
        )
        exposition = (await client.get("/metrics")).text
        await fake.until("telegram", 3)
        await empty_queue(service)
        retried = await client.post(
            "/webhook/telegram", json=group_payload("g3", ["0000000000000003"]), headers=AUTH
        )
        await fake.until("telegram", 4)
    assert refused.status_code == 503
    assert "max_queue_messages is 3" in refused.json()["error"]
    assert retried.status_code == 200
    reason = {"channel": "telegram", "reason": "queue_full"}
    assert metric_value(exposition, "hyperliquid_relay_webhooks_rejected_total", **reason) == 1
    assert metric_value(exposition, "hyperliquid_relay_queue_limit_messages") == 3
    assert_each_once(fake, "telegram", [f"{index:016x}" for index in range(4)])


async def test_a_message_the_platform_refuses_is_counted_as_set_aside(
    fake: FakeChatAPI, tmp_path: Path
) -> None:
    """Fault: a 400 set the message aside silently; now it is counted (and alerted on by the rules)."""
    fake.behaviour.script.extend(["400"])
    async with running_relay(relay_config(fake.url, str(tmp_path / "q.db"))) as (service, client):
        await client.post("/webhook/discord", json=fixture_body("am025_webhook_firing"), headers=AUTH)
        await empty_queue(service)
        exposition = (await client.get("/metrics")).text
    assert metric_value(exposition, "hyperliquid_relay_messages_set_aside_total", channel="discord") == 1


# --- ten minutes of chat API outage, fast-forwarded --------------------------------------------------------


async def test_chat_api_down_ten_minutes_loses_and_doubles_nothing(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Shipped retry settings, time running 100x: ten minutes of 502 pages are six real seconds."""
    speed = 100.0
    wall_start, mono_start = time.time(), time.monotonic()
    options = {
        "clock": lambda: wall_start + (time.monotonic() - mono_start) * speed,
        "monotonic": lambda: mono_start + (time.monotonic() - mono_start) * speed,
        "speed": speed,
    }
    fake.behaviour.down_until = mono_start + 600 / speed
    shipped = RelayConfig()
    config = relay_config(
        fake.url,
        str(tmp_path / "q.db"),
        retry=shipped.retry.model_dump(),
        telegram={"pacing": [window.model_dump() for window in TELEGRAM_DEFAULT_PACING]},
        discord={"pacing": [window.model_dump() for window in DISCORD_DEFAULT_PACING]},
    )
    async with running_relay(config, **options) as (service, client):
        expected = {channel: await post_groups(client, channel, 5) for channel in CHANNELS}
        await asyncio.sleep(300 / speed)
        during = (await client.get("/metrics")).text
        for channel in CHANNELS:
            await fake.until(channel, 5, within=30)
        await empty_queue(service)
        after = (await client.get("/metrics")).text
    for channel in CHANNELS:
        assert_each_once(fake, channel, expected[channel])
        assert metric_value(during, "hyperliquid_relay_queue_depth", channel=channel) == 5
        assert metric_value(during, "hyperliquid_relay_queue_oldest_age_seconds", channel=channel) >= 250
        # The channel rests hold_seconds after a failed round: about ten rounds of 4 tries, not per message.
        assert fake.answers[(channel, "502")] <= 60
        assert metric_value(after, "hyperliquid_relay_notifications_late_total", channel=channel) == 0


# --- SIGKILL at each commit point ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "copies"),
    [
        ("enqueued", 1),  # committed, never answered: Alertmanager's retry is a duplicate
        ("sent", 2),  # accepted by the chat API, not recorded: at-least-once, as docs/relay.md documents
        ("recorded", 1),
    ],
)
def test_sigkill_at_each_commit_point(fake: FakeChatAPI, tmp_path: Path, point: str, copies: int) -> None:
    path = tmp_path / "q.db"
    body = group_payload("crash", ["00000000000000c1"])
    child = subprocess.run(
        [sys.executable, "-m", "tests.relay.crash_child", fake.url, str(path), point, json.dumps(body)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -9, child.stderr[-2000:]
    before = fake.count("telegram")

    async def restart() -> None:
        config = relay_config(fake.url, str(path), discord=None)
        async with running_relay(config) as (service, client):  # the dead process's lock is gone
            if point == "enqueued":  # no 2xx reached Alertmanager, so it sends the webhook again
                again = await client.post("/webhook/telegram", json=body, headers=AUTH)
                assert again.json()["status"] == "duplicate"
            await empty_queue(service)
            await asyncio.sleep(0.3)

    asyncio.run(restart())
    assert before == (0 if point == "enqueued" else 1)
    assert fingerprints(fake.texts("telegram")) == ["00000000000000c1"] * copies
