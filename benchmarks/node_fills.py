"""Node mode's speed and memory (issue 26): fills per second on one core, the delay from a 25,000-fill
block written to its counts on /metrics, and the exporter's RSS while it follows a large generated hour.

1. Throughput, in-process on one core (the poller's worker-thread part, read + parse + classify + count):
   a generated hour of ordinary blocks with 2% liquidation fills, and a worst case where every fill is an
   ADL fill (each one typed), with orjson and with the standard library's json.
2. Delay, against a real `hyperliquid-exporter` process (node mode only, 127.0.0.1, free port): a block of
   25,000 ADL fills is appended to the node's hour file, and /metrics is scraped every 10 ms until the
   venue ADL counter shows it; repeated, median and worst printed.
3. Memory: the same process follows a generated hour of at least `--hour-mb` MB appended in 4 MB bursts;
   its peak RSS (VmHWM) is printed once it has counted every fill.

    PYTHONPATH=. .venv/bin/python -m benchmarks.node_fills            # full figures
    PYTHONPATH=. .venv/bin/python -m benchmarks.node_fills --smoke    # small sizes, a quick check
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import orjson

from exporter.collectors.context import CollectorContext
from exporter.collectors.node import NodePoller
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.node.config import NodeConfig
from exporter.replay.node_files import block_line
from tests.support.processes import free_port, running

HOUR_START = 1760130000.0  # 2025-10-10T21:00:00 UTC
LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
COINS = ["BTC", "ETH", "SOL", "AVAX", "HYPE", "DOGE", "XRP", "SUI"]
ADL_COUNTER = re.compile(rb'^hyperliquid_venue_auto_deleverages_total\{coin="AVAX"\} (\S+)$', re.M)
FILLS_COUNTER = re.compile(rb"^hyperliquid_node_fills_total (\S+)$", re.M)


class Fills:
    """Fills in the node's shape with varied values (ids, prices, hashes), deterministic per seed."""

    def __init__(self, seed: int = 26) -> None:
        self._rng = random.Random(seed)
        self._tid = 10**14

    def _base(self, coin: str) -> dict[str, Any]:
        self._tid += 1
        rng = self._rng
        return {
            "coin": coin,
            "px": f"{rng.uniform(1, 1000):.4f}",
            "sz": f"{rng.uniform(0.01, 100):.3f}",
            "side": rng.choice("AB"),
            "time": int(HOUR_START * 1000) + rng.randrange(3_600_000),
            "startPosition": f"{rng.uniform(-1000, 1000):.3f}",
            "dir": rng.choice(["Open Long", "Close Short", "Open Short", "Close Long"]),
            "closedPnl": f"{rng.uniform(-50, 50):.6f}",
            "hash": f"0x{rng.getrandbits(256):064x}",
            "oid": rng.randrange(10**11, 10**12),
            "crossed": rng.random() < 0.5,
            "fee": f"{rng.uniform(0, 2):.6f}",
            "tid": self._tid,
            "feeToken": "USDC",
            "twapId": None,
        }

    def user(self) -> str:
        return f"0x{self._rng.getrandbits(160):040x}"

    def ordinary(self) -> tuple[str, dict[str, Any]]:
        return self.user(), self._base(self._rng.choice(COINS))

    def liquidated(self) -> tuple[str, dict[str, Any]]:
        user = self.user()
        fill = self._base(self._rng.choice(COINS))
        fill["dir"] = "Liquidated Cross Long"
        fill["liquidation"] = {"liquidatedUser": user, "markPx": fill["px"], "method": "market"}
        return user, fill

    def adl(self, coin: str = "AVAX") -> tuple[str, dict[str, Any]]:
        fill = self._base(coin)
        fill["dir"] = "Auto-Deleveraging"
        fill["liquidation"] = {"liquidatedUser": LIQUIDATOR, "markPx": fill["px"], "method": "backstop"}
        return self.user(), fill


def mixed_blocks(fills: Fills, total: int, per_block: int, liquidation_share: float) -> Iterator[bytes]:
    number = 758_000_000
    written = 0
    while written < total:
        count = min(per_block, total - written)
        events = [
            fills.liquidated() if fills._rng.random() < liquidation_share else fills.ordinary()
            for _ in range(count)
        ]
        number += 1
        yield block_line(number, HOUR_START + written / 10_000, events)
        written += count


def adl_block(fills: Fills, number: int, count: int, time_s: float) -> bytes:
    return block_line(number, time_s, [fills.adl() for _ in range(count)])


def _context() -> CollectorContext:
    budget, stats = WeightBudget(1200), RequestStats()
    http = httpx.AsyncClient()
    client = InfoClient("http://127.0.0.1:9", budget, http=http, stats=stats)
    context = CollectorContext(client=client, http=http, budget=budget, stats=stats)
    context.universe.publish(COINS)
    return context


def throughput(lines: list[bytes], fills: int, loads: Callable[[bytes], Any]) -> float:
    """Fills per second through the poller's blocking part, the hour written before it is read."""
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        hour = data_dir / "node_fills_by_block" / "hourly" / "20251010" / "21"
        hour.parent.mkdir(parents=True)
        hour.touch()
        poller = NodePoller(NodeConfig(data_dir=data_dir), _context(), loads=loads)
        hour.write_bytes(b"".join(lines))
        try:
            started = time.perf_counter()
            while poller.counters.fills < fills:
                poller.poll_now()
            elapsed = time.perf_counter() - started
        finally:
            poller.close()
    return fills / elapsed


def _config(data_dir: Path) -> str:
    return f"""
collectors:
  market: {{enabled: false}}
  dexes: {{enabled: false}}
  vaults: {{enabled: false}}
  accounts: {{enabled: false}}
  fills: {{enabled: false}}
reference_prices: {{enabled: false}}
streaming: {{enabled: false}}
node:
  data_dir: {data_dir}
  interval_seconds: 0.25
"""


def _counter(pattern: re.Pattern[bytes], body: bytes) -> float:
    found = pattern.search(body)
    return float(found.group(1)) if found else -1.0


def _wait_for(url: str, pattern: re.Pattern[bytes], at_least: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if _counter(pattern, client.get(url).content) >= at_least:
                return time.monotonic()
            time.sleep(0.01)
    raise TimeoutError(f"{pattern.pattern!r} did not reach {at_least} within {timeout} s")


def _rss_peak_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
    return float(values["VmRSS"]) / 1024, float(values["VmHWM"]) / 1024


@contextlib.contextmanager
def _exporter(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, BinaryIO]]:
    """A node-mode-only exporter on a free port of 127.0.0.1, and the node's hour file to append to."""
    data_dir = workdir / "data"
    hour = data_dir / "node_fills_by_block" / "hourly" / "20251010" / "21"
    hour.parent.mkdir(parents=True)
    hour.touch()
    config = workdir / "config.yaml"
    config.write_text(_config(data_dir))
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "exporter.cli",
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    ready = f"http://127.0.0.1:{port}/-/ready"
    with running(argv, ready, workdir / "exporter.log") as process, hour.open("ab") as node:
        yield process, f"http://127.0.0.1:{port}/metrics", node


def delay_figures(block_fills: int, repeats: int, workdir: Path) -> None:
    fills = Fills(seed=7)
    with _exporter(workdir) as (process, metrics, node):
        # The coin's series goes out at 0 first (zero-first counters): a small block before timing.
        node.write(adl_block(fills, 1, 1, HOUR_START))
        node.flush()
        _wait_for(metrics, ADL_COUNTER, 1, timeout=30)
        idle = _rss_peak_mb(process.pid)[0]
        counted, delays = 1.0, []
        for k in range(repeats):
            line = adl_block(fills, 2 + k, block_fills, HOUR_START + 1 + k)
            written = time.monotonic()
            node.write(line)
            node.flush()
            counted += block_fills
            delays.append(_wait_for(metrics, ADL_COUNTER, counted, timeout=60) - written)
        hwm = _rss_peak_mb(process.pid)[1]
    print(
        f"delay from a {block_fills:,}-fill ADL block written to its counts on /metrics "
        f"({len(line) / 1e6:.1f} MB line, {repeats} blocks): "
        f"median {statistics.median(delays):.3f} s, worst {max(delays):.3f} s "
        f"(RSS idle {idle:.0f} MB, peak {hwm:.0f} MB)"
    )


def memory_figures(hour_mb: int, workdir: Path) -> None:
    fills = Fills(seed=8)
    with _exporter(workdir) as (process, metrics, node):
        idle = _rss_peak_mb(process.pid)[0]
        target = hour_mb * 1024 * 1024
        written_bytes = written_fills = 0
        started = time.monotonic()
        burst: list[bytes] = []
        for line in mixed_blocks(fills, 10**9, per_block=200, liquidation_share=0.02):
            burst.append(line)
            written_fills += 200
            if sum(map(len, burst)) >= 4 * 1024 * 1024:
                data = b"".join(burst)
                node.write(data)
                node.flush()
                written_bytes += len(data)
                burst = []
                if written_bytes >= target:
                    break
        _wait_for(metrics, FILLS_COUNTER, written_fills, timeout=600)
        elapsed = time.monotonic() - started
        rss, hwm = _rss_peak_mb(process.pid)
    print(
        f"following a generated hour of {written_bytes / 1e6:.0f} MB ({written_fills:,} fills in 200-fill "
        f"blocks, 4 MB bursts, all counted after {elapsed:.1f} s): "
        f"RSS idle {idle:.0f} MB, at the end {rss:.0f} MB, peak (VmHWM) {hwm:.0f} MB"
    )


def _load() -> str:
    return f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes: a quick check, not figures")
    parser.add_argument("--fills", type=int, default=1_000_000, help="fills in the throughput hour")
    parser.add_argument("--block-fills", type=int, default=25_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--hour-mb", type=int, default=210)
    parser.add_argument("--cpu", type=int, default=0, help="the one core the in-process part runs on")
    args = parser.parse_args()
    if args.smoke:
        args.fills, args.block_fills, args.repeats, args.hour_mb = 20_000, 2_000, 2, 8
    os.sched_setaffinity(0, {args.cpu})
    fills = Fills()
    mixed = list(mixed_blocks(fills, args.fills, per_block=200, liquidation_share=0.02))
    adl = [
        adl_block(fills, 10 + k, args.block_fills, HOUR_START + k)
        for k in range(max(1, args.fills // args.block_fills))
    ]
    adl_fills = len(adl) * args.block_fills
    print(f"load average at the start: {_load()}")
    print(f"throughput on one core (cpu {args.cpu}), read + parse + classify + count:")
    for name, lines, count in (
        ("2% liquidations, 200-fill blocks", mixed, args.fills),
        ("every fill ADL, 25k-fill blocks", adl, adl_fills),
    ):
        for parser_name, loads in (("orjson", orjson.loads), ("json", json.loads)):
            rate = throughput(lines, count, loads)
            print(
                f"  {name:<34} {parser_name:<7} {rate:>12,.0f} fills/s "
                f"({count:,} fills, {sum(map(len, lines)) / 1e6:.0f} MB)"
            )
    del mixed, adl
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    with tempfile.TemporaryDirectory() as workdir:
        memory_figures(args.hour_mb, Path(workdir) / "memory")
        delay_figures(args.block_fills, args.repeats, Path(workdir) / "delay")
    print(
        f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
