"""Figures for the shared web layer: gzip on a large /metrics, and basic auth with and without the cache.

    .venv/bin/python -m benchmarks.web_layer [--series 10000] [--smoke]

The exposition is synthetic but shaped like the HLP accounts' (account and coin labels, float values);
auth is bcrypt at cost 10, exporter-toolkit's usual hash, through the real middleware in process.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import statistics
import tempfile
import time
from pathlib import Path

import bcrypt
import httpx

from exporter.exposition import Exposition
from exporter.gzip_stream import GZIP_LEVEL
from exporter.server import build_app
from exporter.store import SnapshotStore
from exporter.web.layer import WebLayer

USER, PASSWORD = "prometheus", "benchmark-password"


def exposition(series: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    accounts = [f"0x{rng.getrandbits(160):040x}" for _ in range(max(1, series // 150))]
    lines = [b"# HELP hyperliquid_account_position_notional_usd Polled position notional.\n"]
    lines.append(b"# TYPE hyperliquid_account_position_notional_usd gauge\n")
    for index in range(series):
        account = accounts[index % len(accounts)]
        lines.append(
            f'hyperliquid_account_position_notional_usd{{account="{account}",coin="C{index % 150}"}} '
            f"{rng.uniform(1e3, 1e8):.6g}\n".encode()
        )
    return b"".join(lines)


async def measure(series: int, requests: int) -> None:
    body = exposition(series)
    with tempfile.TemporaryDirectory() as directory:
        web_config = Path(directory) / "web.yml"
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
        web_config.write_text(f"basic_auth_users:\n  {USER}: '{hashed}'\n")
        layer = WebLayer(str(web_config), "benchmark")
        app = layer.wrap(build_app(SnapshotStore(), lambda: Exposition.of(body)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", auth=(USER, PASSWORD)
        ) as client:
            durations = []
            for _ in range(requests):
                started = time.perf_counter()
                await client.get("/-/healthy")
                durations.append(time.perf_counter() - started)
            first, rest = durations[0], durations[1:]
            print(
                f"basic auth (bcrypt cost 10): first request {first * 1000:.1f} ms, "
                f"cached median {statistics.median(rest) * 1000:.2f} ms over {len(rest)} requests"
            )
            sizes = {}
            for encoding in ("identity", "gzip"):
                async with client.stream(
                    "GET", "/metrics", headers={"Accept-Encoding": encoding}
                ) as response:
                    sizes[encoding] = len(b"".join([chunk async for chunk in response.aiter_raw()]))
            print(
                f"/metrics, {series} series: {sizes['identity']:,} bytes plain, {sizes['gzip']:,} gzip "
                f"({sizes['identity'] / sizes['gzip']:.1f}x smaller)"
            )
            for level in (GZIP_LEVEL, 9):
                started = time.perf_counter()
                size = len(gzip.compress(body, compresslevel=level))
                elapsed = time.perf_counter() - started
                print(f"gzip level {level}: {size:,} bytes in {elapsed * 1000:.1f} ms")
            started = time.perf_counter()
            bcrypt.checkpw(PASSWORD.encode(), hashed.encode())
            print(f"one bcrypt check without the cache: {(time.perf_counter() - started) * 1000:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.web_layer", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="a few seconds: 1,000 series, 20 requests")
    args = parser.parse_args(argv)
    series, requests = (1_000, 20) if args.smoke else (args.series, args.requests)
    asyncio.run(measure(series, requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
