"""The relay as users run it: the CLI, a restart in the middle of a backlog, and the real Alertmanager."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.relay.harness import AUTH, group_payload, metric_value
from tests.relay.stack import (
    RELAY_ENV,
    SECRETS,
    alertmanager_process,
    post_alerts,
    relay_process,
    relay_receiver,
    write_alertmanager_config,
    write_relay_config,
)
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port

FINGERPRINT = re.compile(r"alert ([0-9a-f]{16})")


@pytest.fixture
def fake() -> Iterator[FakeChatAPI]:
    with fake_chat_api() as api:
        yield api


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter.relay.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=60,
    )


def test_cli_validates_the_whole_file(tmp_path: Path) -> None:
    config = write_relay_config(tmp_path / "config.yaml", "http://127.0.0.1:1", tmp_path / "q.db")
    ok = run_cli(f"--config.file={config}", "--config.check", env=RELAY_ENV)
    assert ok.returncode == 0, ok.stderr
    missing_env = run_cli(f"--config.file={config}", "--config.check")
    assert missing_env.returncode == 1
    assert "RELAY_BEARER_TOKEN is not set" in missing_env.stderr
    assert "123:ABC" not in missing_env.stderr + missing_env.stdout
    typo = tmp_path / "typo.yaml"
    typo.write_text(config.read_text().replace("hold_seconds", "hold_secs"))
    bad = run_cli(f"--config.file={typo}", env=RELAY_ENV)
    assert bad.returncode == 1
    assert "relay.retry.hold_secs" in bad.stderr
    no_channel = write_relay_config(
        tmp_path / "nochan.yaml", "http://x", tmp_path / "q.db", {"telegram": None, "discord": None}
    )
    refused = run_cli(f"--config.file={no_channel}", env=RELAY_ENV)
    assert refused.returncode == 1
    assert "at least one of relay.telegram and relay.discord" in refused.stderr


def fingerprints(texts: list[str]) -> list[str]:
    return [match for text in texts for match in FINGERPRINT.findall(text)]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL])
def test_restart_in_the_middle_of_a_backlog(
    fake: FakeChatAPI, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    config = write_relay_config(
        tmp_path / "config.yaml",
        fake.url,
        tmp_path / "queue.sqlite3",
        {
            "telegram": {"pacing": [{"messages": 1, "period_seconds": 0.25}]},
            "discord": {"pacing": [{"messages": 1, "period_seconds": 0.25}]},
        },
    )
    expected = [f"{index:016x}" for index in range(30)]
    port = free_port()
    with (
        relay_process(config, tmp_path / "relay-1.log", port) as (process, url),
        httpx.Client(base_url=url) as client,
    ):
        for index, fingerprint in enumerate(expected):
            for channel in ("telegram", "discord"):
                response = client.post(
                    f"/webhook/{channel}", json=group_payload(f"g{index}", [fingerprint]), headers=AUTH
                )
                assert response.status_code == 200
        fake.wait_for("telegram", 5)
        process.send_signal(stop_signal)
        process.wait(timeout=30)
        if stop_signal == signal.SIGTERM:
            assert process.returncode == 0, (tmp_path / "relay-1.log").read_text()
    before = {platform: fake.count(platform) for platform in ("telegram", "discord")}
    assert before["telegram"] < 30
    assert before["discord"] < 30

    with relay_process(config, tmp_path / "relay-2.log", port) as (_, url):
        # Alertmanager redelivering an already accepted webhook after the restart is still a duplicate.
        again = httpx.post(f"{url}/webhook/telegram", json=group_payload("g29", [expected[29]]), headers=AUTH)
        assert again.json()["status"] == "duplicate"
        for platform in ("telegram", "discord"):
            fake.wait_for(platform, 30)
        time.sleep(0.5)  # room for any message that would be sent twice
        exposition = httpx.get(f"{url}/metrics").text
    for platform in ("telegram", "discord"):
        seen = fingerprints(fake.texts(platform))
        assert set(seen) == set(expected), "nothing accepted is lost"
        doubled = sum(count - 1 for count in Counter(seen).values())
        if stop_signal == signal.SIGTERM:
            assert seen == expected  # a clean stop finishes the send in flight: nothing doubled, order kept
        else:
            # SIGKILL between the chat API's answer and the commit can repeat that single message.
            assert doubled <= 1
        assert metric_value(exposition, "hyperliquid_relay_queue_depth", channel=platform) == 0


def test_alertmanager_routes_firing_then_resolved_through_the_relay(
    fake: FakeChatAPI, tmp_path: Path
) -> None:
    relay_config = write_relay_config(tmp_path / "config.yaml", fake.url, tmp_path / "queue.sqlite3")
    alert = {
        "labels": {
            "alertname": "HyperliquidOracleDeviation",
            "severity": "critical",
            "coin": "BTC",
            "collector": "prices",
        },
        "annotations": {
            "summary": "BTC oracle 3.2% away from the reference median",
            "description": "Oracle 101,000 vs median 97,900 <binance, okx & bybit>",
            "runbook_url": "https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md#hyperliquidoracledeviation",
            "dashboard_path": "/d/hl-markets/hyperliquid-oracle-and-markets?var-coin=BTC",
        },
    }
    with relay_process(relay_config, tmp_path / "relay.log", log_level="debug") as (_, relay_url):
        am_config = write_alertmanager_config(
            tmp_path / "alertmanager.yml", relay_receiver(relay_url), ["alertname", "coin"]
        )
        with alertmanager_process(am_config, tmp_path) as am_url:
            post_alerts(am_url, [alert])
            telegram = fake.wait_for("telegram", 1)
            discord = fake.wait_for("discord", 1)
            post_alerts(am_url, [alert], resolved=True)
            telegram = fake.wait_for("telegram", 2)
            discord = fake.wait_for("discord", 2)
            time.sleep(2.5)  # two more group_interval flushes: nothing further may arrive
        exposition = httpx.get(f"{relay_url}/metrics").text
    assert fake.count("telegram") == 2
    assert fake.count("discord") == 2
    assert telegram[0].startswith("🔥 <b>[FIRING:1] HyperliquidOracleDeviation coin=BTC</b>")
    assert "&lt;binance, okx &amp; bybit&gt;" in telegram[0]
    assert (
        'href="https://grafana.example.org/d/hl-markets/hyperliquid-oracle-and-markets?var-coin=BTC"'
        in telegram[0]
    )
    assert telegram[1].startswith("✅ <b>[RESOLVED] HyperliquidOracleDeviation coin=BTC</b>")
    discord_payloads = [item.payload for item in fake.delivered if item.platform == "discord"]
    assert discord_payloads[0]["embeds"][0]["color"] == 0xE74C3C
    assert discord_payloads[1]["embeds"][0]["color"] == 0x2ECC71
    assert "RESOLVED" in discord[1]
    for channel in ("telegram", "discord"):
        assert metric_value(exposition, "hyperliquid_relay_notifications_total", channel=channel) == 2
    log = (tmp_path / "relay.log").read_text()
    assert "relay ready" in log
    for secret in SECRETS:  # not even at debug level
        assert secret not in log
        assert metric_value(exposition, "hyperliquid_relay_webhooks_received_total", channel=channel) >= 2


def test_a_second_relay_on_the_same_queue_exits_with_a_clear_error(fake: FakeChatAPI, tmp_path: Path) -> None:
    """Two relays on one queue file (overlapping containers in a deploy) sent 20 webhooks as 35 messages."""
    config = write_relay_config(tmp_path / "config.yaml", fake.url, tmp_path / "queue.sqlite3")
    with relay_process(config, tmp_path / "relay-1.log") as (first, _):
        second = run_cli(
            f"--config.file={config}", f"--web.listen-address=127.0.0.1:{free_port()}", env=RELAY_ENV
        )
        assert second.returncode != 0  # uvicorn's startup failure status, 3
        output = second.stdout + second.stderr
        assert f"is in use by another relay process (pid {first.pid}" in output
        assert "run exactly one relay per queue file" in output
