"""The real `hyperliquid-exporter` process against a loopback Hyperliquid: HLP, watched accounts and
a backstop show on /metrics, and the exposition passes `promtool check metrics`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from tests.hlp.fake_hyperliquid import (
    HLP,
    LIQUIDATORS,
    STRATEGIES,
    FakeHyperliquid,
    address,
    clearinghouse,
    fill,
    meta,
    position,
    serving_in_thread,
    vault_details,
)
from tests.hlp.metrics_text import Samples, samples, value
from tests.support.binaries import REPO_ROOT, find_binary
from tests.support.processes import free_port, running

WHALE = address(4242)


def write_config(path: Path, api_url: str) -> None:
    config = {
        "hyperliquid": {"api_url": api_url, "weight_limit_per_minute": 100_000, "weight_budget_share": 1.0},
        "collectors": {
            "market": {"interval_seconds": 1},
            "vaults": {"interval_seconds": 1},
            "accounts": {
                "interval_seconds": 1,
                "liquidator_interval_seconds": 1,
                "watched_interval_seconds": 1,
                "watched": [{"address": WHALE, "name": "whale"}],
            },
            "fills": {"interval_seconds": 0.5, "watched_interval_seconds": 1},
        },
        "reference_prices": {"enabled": False},
    }
    path.write_text(yaml.safe_dump(config))


def scrape_until(url: str, done: str, timeout: float = 20.0) -> tuple[bytes, Samples]:
    deadline = time.monotonic() + timeout
    while True:
        text = httpx.get(url, timeout=5).content
        found = samples(text)
        if done in text.decode() or time.monotonic() > deadline:
            return text, found
        time.sleep(0.2)


def test_exporter_process_shows_hlp_and_passes_promtool(tmp_path: Path) -> None:
    fake = FakeHyperliquid()
    fake.vaults[HLP] = vault_details(HLP, "Hyperliquidity Provider (HLP)", [*STRATEGIES, *LIQUIDATORS])
    fake.universe = meta(["BTC", "ETH", "SOL"])
    fake.states[LIQUIDATORS[0]] = clearinghouse(3e6, [position("SOL", 1000.0, 68.2, -700.0, 40.0)])
    fake.states[WHALE] = clearinghouse(1e7, [position("ETH", -300.0, 3500.0, 2e4, 4100.0)])
    with serving_in_thread(fake):
        config = tmp_path / "config.yaml"
        write_config(config, fake.url)
        port = free_port()
        # `python -m exporter.cli` is the console script's entry point, run from this checkout.
        argv = [sys.executable, "-m", "exporter.cli", f"--config.file={config}"]
        argv.append(f"--web.listen-address=127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        env = {"PYTHONPATH": str(REPO_ROOT)}
        with running(argv, f"{base}/-/ready", tmp_path / "exporter.log", env=env, cwd=REPO_ROOT):
            # Fills from now on are counted: the backstop takeover of the SOL position.
            takeover = fill(
                "SOL",
                67.5499,
                1000.0,
                int(time.time() * 1000) + 500,
                1,
                "Liquidated Cross Long",
                {"liquidatedUser": address(7), "markPx": "68.2", "method": "backstop"},
            )
            fake.fills[LIQUIDATORS[0]] = [takeover]
            done = 'hyperliquid_liquidations_total{coin="SOL",method="backstop"} 1.0'
            text, found = scrape_until(f"{base}/metrics", done)
    assert done in text.decode(), text.decode()[-3000:]
    for collector in ("vaults", "accounts", "fills"):
        assert value(found, "hyperliquid_exporter_collector_success", collector=collector) == 1
    assert value(found, "hyperliquid_vault_pnl_usd", vault=HLP, window="week") is not None
    assert value(found, "hyperliquid_account_position_size", account=LIQUIDATORS[0], coin="SOL") == 1000.0
    assert (
        value(
            found, "hyperliquid_account_position_liquidation_price", account=WHALE, coin="ETH", margin="cross"
        )
        == 4100
    )
    assert (
        value(found, "hyperliquid_liquidated_notional_usd_total", coin="SOL", method="backstop") == 67_549.9
    )
    assert value(found, "hyperliquid_auto_deleverages_total", coin="BTC") == 0
    lint = subprocess.run(
        [find_binary("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    assert lint.stdout.decode().strip() == ""
