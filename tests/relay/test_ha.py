"""High availability as docs/operations.md (Scaling) describes it: two real Alertmanagers in a cluster
(gossip on 127.0.0.1), each with its own relay and queue, both delivering to the same chats.

Alertmanager's notification log, gossiped across the cluster, is what keeps one notification per group: the
peer in position 0 sends at once, the next waits `peer_timeout` and sends only what the log does not show
as sent. A relay answers 2xx only once a webhook is in its own queue, so what it accepted is delivered by
it (after a restart if it is killed), and what it could not accept is sent by the other peer's relay.
"""

from __future__ import annotations

import contextlib
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.relay.stack import (
    clustered_alertmanager,
    relay_process,
    relay_receiver,
    write_alertmanager_config,
    write_relay_config,
)
from tests.support.processes import free_port

FINGERPRINT = re.compile(r"alert ([0-9a-f]{16})")
PLATFORMS = ("telegram", "discord")
PEER_TIMEOUT_SECONDS = 2


@pytest.fixture
def fake() -> Iterator[FakeChatAPI]:
    with fake_chat_api() as api:
        yield api


def burst(phase: int, groups: int) -> list[dict[str, Any]]:
    """One critical alert per group; each group is one notification per chat."""
    starts_at = datetime.now(UTC).isoformat()
    return [
        {
            "labels": {
                "alertname": "HyperliquidHABurst",
                "severity": "critical",
                "group": f"p{phase}g{index}",
            },
            "annotations": {"summary": f"alert {phase:08x}{index:08x} in p{phase}g{index}"},
            "startsAt": starts_at,
            "generatorURL": "http://prometheus.example.org/graph",
        }
        for index in range(groups)
    ]


def expected(phase: int, groups: int) -> set[str]:
    return {f"{phase:08x}{index:08x}" for index in range(groups)}


def post(alertmanagers: list[str], alerts: list[dict[str, Any]]) -> None:
    """As Prometheus does: the same alerts to every Alertmanager of the cluster; a dead one is skipped."""
    for url in alertmanagers:
        with contextlib.suppress(httpx.TransportError):
            httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=10).raise_for_status()


def seen(fake: FakeChatAPI, platform: str) -> Counter[str]:
    return Counter(match for text in fake.texts(platform) for match in FINGERPRINT.findall(text))


def seen_by_sender(fake: FakeChatAPI, platform: str) -> dict[str, Counter[str]]:
    """What each relay sent (each has its own bot token and Discord webhook)."""
    by_sender: dict[str, Counter[str]] = {}
    for item in list(fake.delivered):
        if item.platform == platform:
            by_sender.setdefault(item.sender, Counter()).update(FINGERPRINT.findall(item.text))
    return by_sender


def wait_delivered(fake: FakeChatAPI, wanted: set[str], within: float = 40.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(wanted <= set(seen(fake, platform)) for platform in PLATFORMS):
            return
        time.sleep(0.1)
    missing = {platform: sorted(wanted - set(seen(fake, platform))) for platform in PLATFORMS}
    raise AssertionError(f"not delivered within {within}s: {missing}")


def wait_cluster(urls: list[str], within: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        statuses = [httpx.get(f"{url}/api/v2/status", timeout=5).json()["cluster"] for url in urls]
        if all(len(status.get("peers") or []) == len(urls) for status in statuses):
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"cluster did not form within {within}s")


def first_in_line(status: dict[str, Any], cluster_ports: list[int]) -> int:
    """Index of the Alertmanager in position 0 (peers sorted by name): the one that notifies first."""
    first = min(status["peers"], key=lambda peer: peer["name"])
    return cluster_ports.index(int(first["address"].rsplit(":", 1)[1]))


def relay_config_for(tmp_path: Path, fake: FakeChatAPI, name: str, hook: int) -> Path:
    # Paced at 2 messages a second so a burst takes a few seconds and a kill lands in the middle of it.
    return write_relay_config(
        tmp_path / f"relay-{name}.yaml",
        fake.url,
        tmp_path / f"queue-{name}.sqlite3",
        {
            "telegram": {
                "bot_token": f"{hook}:relay-{name}",
                "pacing": [{"messages": 1, "period_seconds": 0.5}],
            },
            "discord": {
                "webhook_url": f"{fake.url}/api/webhooks/{hook}/tok",
                "pacing": [{"messages": 1, "period_seconds": 0.5}],
            },
        },
    )


def test_two_alertmanagers_each_with_a_relay(fake: FakeChatAPI, tmp_path: Path) -> None:
    groups = 5
    cluster_ports = [free_port(), free_port()]
    relay_ports = [free_port(), free_port()]
    configs = [relay_config_for(tmp_path, fake, name, hook) for name, hook in (("a", 1), ("b", 2))]
    with contextlib.ExitStack() as stack:
        relays = [
            stack.enter_context(relay_process(configs[i], tmp_path / f"relay-{i}.log", relay_ports[i]))
            for i in range(2)
        ]
        alertmanagers = []
        for i in range(2):
            am_config = write_alertmanager_config(
                tmp_path / f"am-{i}.yml", relay_receiver(relays[i][1]), ["group"], group_wait="1s"
            )
            alertmanagers.append(
                stack.enter_context(
                    clustered_alertmanager(
                        am_config,
                        tmp_path / f"am-{i}",
                        cluster_ports[i],
                        [cluster_ports[1 - i]],
                        peer_timeout=f"{PEER_TIMEOUT_SECONDS}s",
                    )
                )
            )
        urls = [url for _, url in alertmanagers]
        first = first_in_line(wait_cluster(urls)[0], cluster_ports)

        # 1. A burst reaches each chat once per group: the cluster's notification log deduplicates.
        post(urls, burst(1, groups))
        wait_delivered(fake, expected(1, groups))
        time.sleep(PEER_TIMEOUT_SECONDS + 2)  # the second peer's turn has passed: nothing more may arrive
        for platform in PLATFORMS:
            assert seen(fake, platform) == Counter(dict.fromkeys(expected(1, groups), 1)), platform

        # 2. The notifying peer's relay is killed mid-burst. What it accepted waits in its queue and goes out
        # after its restart; what it could not accept, the other peer's relay sends.
        post(urls, burst(2, groups))
        deadline = time.monotonic() + 20
        while not any(key in expected(2, groups) for key in seen(fake, "telegram")):
            assert time.monotonic() < deadline, "the second burst never started"
            time.sleep(0.02)
        relays[first][0].send_signal(signal.SIGKILL)
        relays[first][0].wait(timeout=10)
        post(urls, burst(3, groups))  # arrives while that relay is down
        wait_delivered(fake, expected(3, groups))
        with relay_process(configs[first], tmp_path / f"relay-{first}-again.log", relay_ports[first]):
            wait_delivered(fake, expected(2, groups))
            time.sleep(1.0)
        for platform in PLATFORMS:
            counts = seen(fake, platform)
            assert set(counts) >= expected(2, groups) | expected(3, groups), "nothing lost"
            # A relay sends again at most the message it had in flight to the chat when it died
            # (docs/relay.md: Delivery); the surviving relay sends nothing twice.
            for sender, sent in seen_by_sender(fake, platform).items():
                assert sum(sent[key] - 1 for key in expected(2, groups) if sent[key]) <= 1, (sender, sent)
            # A webhook the killed relay had queued but not yet acknowledged (or could not accept) is also
            # sent by the other peer's relay: one group, at most twice (docs/operations.md: Scaling).
            assert all(counts[key] <= 2 for key in expected(2, groups)), counts
            # A group sent while the relay was down goes out through the other relay; if the relay is back
            # while its Alertmanager still retries (within max(group_interval, 10s)), it goes out there too.
            # docs/operations.md (Scaling) documents this duplicate; never more than one per relay.
            assert all(1 <= counts[key] <= 2 for key in expected(3, groups)), counts

        # 3. The notifying Alertmanager is killed mid-burst: the other peer sends what its log does not show.
        post(urls, burst(4, groups))
        alertmanagers[first][0].send_signal(signal.SIGKILL)
        alertmanagers[first][0].wait(timeout=10)
        post(urls, burst(5, groups))  # Prometheus keeps sending to the survivor
        wait_delivered(fake, expected(4, groups) | expected(5, groups))
        time.sleep(1.0)
        for platform in PLATFORMS:
            counts = seen(fake, platform)
            assert set(counts) >= expected(4, groups) | expected(5, groups), "nothing lost"
            # A kill between the dead peer's send and the gossip of its log entry can double a group.
            assert all(counts[key] <= 2 for key in expected(4, groups)), counts
            assert all(counts[key] == 1 for key in expected(5, groups)), counts
