"""Scrape latency and memory of the exporter with HLP and watched accounts (issue 4's benchmark).

Extends benchmarks/scrape_latency.py's fake venue (a mainnet-like universe and the four reference
exchanges) with HLP: 9 HLP accounts (the parent and 8 children, 4 of them liquidators) holding 150
positions each, 50 watched accounts with 4 positions each, and fills counters for every listed coin.
The exporter runs as a process against it on 127.0.0.1; /metrics is scraped in gzip and identity
as benchmarks/scrape_latency.py explains, and median, p99 and max latency, response size and
resident memory are printed per encoding.

    .venv/bin/python -m benchmarks.scrape_latency_hlp            # full run (about a minute)
    .venv/bin/python -m benchmarks.scrape_latency_hlp --smoke    # a few seconds, for CI

Targets (issue 4): p99 under 20 ms in both encodings, RSS under 100 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.scrape_latency import Figures, measure, parse_scrape_options, scrape_parser
from tests.market.fake_venue import FakeVenue, exporter_config, mainnet_like, serving
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port, running

HLP = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
LIQUIDATORS = [
    "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14",
    "0xb0a55f13d22f66e6d495ac98113841b2326e9540",
    "0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70",
    "0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308",
]
OTHER_CHILDREN = [
    "0x010461c14e146ac35fe42271bdc1134ee31c703a",
    "0x31ca8395cf837de08b24da3f660e77761dfb974b",
    "0x469f690213c467c39a23efacfd2816896009d7d8",
    "0x" + "c1" * 20,
]
P99_TARGET_MS = 20.0
RSS_TARGET_MB = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scrape_parser(__doc__)
    parser.add_argument("--positions", type=int, default=150, help="positions per HLP account (default 150)")
    parser.add_argument("--watched", type=int, default=50, help="watched accounts (default 50)")
    return parse_scrape_options(parser, argv)


def account_state(coins: list[str], seed: int) -> dict[str, Any]:
    positions = []
    for index, coin in enumerate(coins):
        size = (index + 1) * (1 if (index + seed) % 2 else -1) * 1.25
        positions.append(
            {
                "type": "oneWay",
                "position": {
                    "coin": coin,
                    "szi": str(size),
                    "entryPx": "10.5",
                    "leverage": {"type": "cross", "value": 10},
                    "liquidationPx": None if index % 4 == 0 else str(20.0 + index),
                    "marginUsed": "100.0",
                    "positionValue": str(abs(size) * 10.5),
                    "unrealizedPnl": str(index - 75.5),
                    "cumFunding": {"allTime": "1.0", "sinceOpen": "0.0", "sinceChange": "0.0"},
                },
            }
        )
    summary = {"accountValue": "1000000.0", "totalMarginUsed": "0", "totalNtlPos": "0", "totalRawUsd": "0"}
    return {
        "assetPositions": positions,
        "crossMaintenanceMarginUsed": "50000.0",
        "crossMarginSummary": summary,
        "marginSummary": summary,
        "withdrawable": "1.0",
        "time": 1_760_000_000_000,
    }


def vault_details() -> dict[str, Any]:
    history = [[1_760_000_000_000 + i * 8_400_000, f"{i * 1000.0}"] for i in range(64)]
    window = {"accountValueHistory": history, "pnlHistory": history, "vlm": "1.0"}
    return {
        "name": "Hyperliquidity Provider (HLP)",
        "vaultAddress": HLP,
        "portfolio": [[name, window] for name in ("day", "week", "month", "allTime")],
        "apr": 0.12,
        "relationship": {"type": "parent", "data": {"childAddresses": [*OTHER_CHILDREN, *LIQUIDATORS]}},
        "isClosed": False,
    }


def build_venue(args: argparse.Namespace, watched: list[str]) -> FakeVenue:
    universe = mainnet_like(args.perps)
    listed = universe.listed
    states: dict[str, Any] = {}
    for seed, account in enumerate([HLP, *OTHER_CHILDREN, *LIQUIDATORS]):
        states[account] = account_state(listed[: args.positions], seed)
    for seed, account in enumerate(watched):
        states[account] = account_state(listed[seed % 50 : seed % 50 + 4], seed)
    details = vault_details()
    handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
        "vaultDetails": lambda body: details if body["vaultAddress"] == HLP else None,
        "clearinghouseState": lambda body: states[body["user"]],
        "userFillsByTime": lambda _: [],
    }
    return FakeVenue(universe=universe, extra_info=handlers)


def build_config(venue_url: str, watched: list[str]) -> dict[str, Any]:
    config = exporter_config(venue_url)
    # A loopback fake: no need to keep under mainnet's weight limit, so start-up is not paced.
    config["hyperliquid"].update({"weight_limit_per_minute": 100_000, "weight_budget_share": 1.0})
    config["collectors"].update(
        {
            "vaults": {"enabled": True},
            "accounts": {
                "watched": [{"address": a, "name": f"watched-{n:02d}"} for n, a in enumerate(watched)]
            },
            "fills": {"enabled": True},
        }
    )
    return config


def wait_until_polled(url: str, timeout: float = 60) -> None:
    """Every collector succeeded once: the exposition has its full, steady size."""
    deadline = time.monotonic() + timeout
    wanted = [
        f'hyperliquid_exporter_collector_success{{collector="{c}"}} 1.0'
        for c in ("market", "prices", "vaults", "accounts", "fills")
    ]
    while time.monotonic() < deadline:
        text = httpx.get(url, timeout=5).text
        if all(line in text for line in wanted) and "hyperliquid_account_position_size{" in text:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{url} never showed every collector succeeding")


def bench(args: argparse.Namespace, workdir: Path) -> list[Figures]:
    watched = [f"0x{0xAB00 + n:040x}" for n in range(args.watched)]
    with serving(build_venue(args, watched).app()) as venue_url:
        config = workdir / "config.yaml"
        config.write_text(yaml.safe_dump(build_config(venue_url, watched), sort_keys=False))
        port = free_port()
        argv = [sys.executable, "-m", "exporter.cli", f"--config.file={config}"]
        argv.append(f"--web.listen-address=127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        with running(argv, f"{base}/-/ready", workdir / "exporter.log", cwd=REPO_ROOT) as process:
            wait_until_polled(f"{base}/metrics")
            return measure("hyperliquid-exporter (HLP)", f"{base}/metrics", process.pid, args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scrape-latency-hlp-") as tmp:
        measured = bench(args, Path(tmp))
    print(
        f"/metrics scrape latency with HLP: 9 HLP accounts x {args.positions} positions, "
        f"{args.watched} watched accounts x 4 positions, {args.perps} perps; "
        f"{args.scrapes} scrapes per encoding on kept-alive connections, {args.pause_ms:g} ms pause "
        f"after each, after {args.warmup} warm-up; 127.0.0.1"
    )
    for figures in measured:
        print(
            f"{figures.name}: median {figures.median_ms:.2f} ms, p99 {figures.p99_ms:.2f} ms, "
            f"max {figures.max_ms:.2f} ms; {figures.body_bytes} bytes on the wire, {figures.series} series; "
            f"RSS {figures.rss_mb:.1f} MB (peak {figures.peak_rss_mb:.1f} MB)"
        )
    met = all(f.p99_ms < P99_TARGET_MS and f.peak_rss_mb < RSS_TARGET_MB for f in measured)
    print(
        f"targets p99 < {P99_TARGET_MS:g} ms in both encodings and RSS < {RSS_TARGET_MB:g} MB: "
        f"{'met' if met else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
