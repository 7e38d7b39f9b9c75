"""Scrape latency and steady-state memory of the exporter, with prometheus-node-exporter as reference.

Starts a loopback fake venue (a mainnet-like universe: 230 perps, 10 builder dexes (HIP-3) of 20
markets each, and the four reference exchanges),
the exporter against it, and Debian's prometheus-node-exporter, all on 127.0.0.1; scrapes each
/metrics at least 1000 times one after the other and prints median, p99 and max latency, response
size and resident memory.

    .venv/bin/python -m benchmarks.scrape_latency            # full run (about 90 s)
    .venv/bin/python -m benchmarks.scrape_latency --smoke    # a few seconds, for CI

Targets (issue 3): exporter p99 under 10 ms, RSS under 80 MB.

Extending the venue (HLP accounts, positions, watched accounts): add flags in `parse_args`, serve
the extra request types through `FakeVenue.extra_info` in `build_venue`, and enable the matching
collectors in `build_config`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.builder_dexes import add_builder_dexes, dexes_config
from tests.market.fake_venue import FakeVenue, exporter_config, mainnet_like, serving_in_process
from tests.support.binaries import REPO_ROOT, find_binary
from tests.support.processes import free_port, running

# Like a Prometheus scrape, minus compression (node_exporter would gzip, the exporter does not).
SCRAPE_HEADERS = {"Accept": "text/plain;version=0.0.4", "Accept-Encoding": "identity"}


@dataclass
class Figures:
    name: str
    scrapes: int
    median_ms: float
    p99_ms: float
    max_ms: float
    body_bytes: int
    series: int
    rss_mb: float
    peak_rss_mb: float


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--perps", type=int, default=230, help="perps in the fake universe (default 230)")
    parser.add_argument("--dexes", type=int, default=10, help="builder dexes (HIP-3) (default 10)")
    parser.add_argument("--dex-perps", type=int, default=20, help="markets per builder dex (default 20)")
    parser.add_argument(
        "--scrapes", type=int, default=2000, help="measured scrapes per target (default 2000)"
    )
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured scrapes first (default 100)")
    parser.add_argument(
        "--pause-ms",
        type=float,
        default=20.0,
        help="pause between scrapes, so the run spans several poll cycles (default 20)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a few seconds: 200 scrapes, 20 warm-up, no pause"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.scrapes, args.warmup, args.pause_ms = 200, 20, 0.0
    return args


def build_venue(args: argparse.Namespace) -> FakeVenue:
    venue = FakeVenue(universe=mainnet_like(args.perps))
    add_builder_dexes(venue, args.dexes, args.dex_perps)
    return venue


def build_config(args: argparse.Namespace, venue_url: str) -> dict[str, Any]:
    config = exporter_config(venue_url, hyperliquid={"weight_limit_per_minute": 1_000_000})
    config["collectors"]["dexes"] = dexes_config(args.dexes)
    return config


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def measure(name: str, url: str, pid: int, args: argparse.Namespace) -> Figures:
    with httpx.Client(headers=SCRAPE_HEADERS, timeout=10) as client:
        for _ in range(args.warmup):
            client.get(url).raise_for_status()
        latencies: list[float] = []
        peak = rss_mb(pid)
        body = b""
        for index in range(args.scrapes):
            started = time.perf_counter()
            response = client.get(url)
            body = response.content
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            if index % 100 == 0:
                peak = max(peak, rss_mb(pid))
            time.sleep(args.pause_ms / 1000)
        rss = rss_mb(pid)
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    percentiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return Figures(
        name=name,
        scrapes=len(latencies),
        median_ms=statistics.median(latencies) * 1000,
        p99_ms=percentiles[98] * 1000,
        max_ms=max(latencies) * 1000,
        body_bytes=len(body),
        series=series,
        rss_mb=rss,
        peak_rss_mb=max(peak, rss),
    )


def wait_until_polled(url: str, timeout: float = 60, dexes: int = 0) -> None:
    """Every reference source and every builder dex reported up: the exposition has its full size."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = httpx.get(url, timeout=5).text
        if (
            "hyperliquid_up 1.0" in text
            and text.count("hyperliquid_external_source_up{") >= 4
            and ('hyperliquid_external_source_up{source="coinbase"} 1.0' in text)
            and len(re.findall(r"^hyperliquid_dex_up\{[^}]*\} 1\.0$", text, re.M)) >= dexes
        ):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{url} never showed every poller succeeding")


def bench_exporter(args: argparse.Namespace, workdir: Path) -> Figures:
    venue = build_venue(args)
    with serving_in_process(venue) as venue_url:
        config = workdir / "config.yaml"
        config.write_text(yaml.safe_dump(build_config(args, venue_url), sort_keys=False))
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "exporter.cli",
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        base = f"http://127.0.0.1:{port}"
        with running(argv, f"{base}/-/ready", workdir / "exporter.log", cwd=REPO_ROOT) as process:
            wait_until_polled(f"{base}/metrics", dexes=args.dexes)
            return measure("hyperliquid-exporter", f"{base}/metrics", process.pid, args)


def bench_node_exporter(args: argparse.Namespace, workdir: Path) -> Figures:
    port = free_port()
    argv = [find_binary("prometheus-node-exporter"), f"--web.listen-address=127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}/metrics"
    with running(argv, url, workdir / "node-exporter.log") as process:
        return measure("prometheus-node-exporter", url, process.pid, args)


def report(figures: list[Figures], args: argparse.Namespace) -> None:
    print(
        f"/metrics scrape latency: {args.scrapes} sequential scrapes, {args.pause_ms:g} ms apart, "
        f"after {args.warmup} warm-up; 127.0.0.1; RSS at the end and peak during the run"
    )
    columns = ("median ms", "p99 ms", "max ms", "bytes", "series", "RSS MB", "peak MB")
    print(f"{'target':26}" + "".join(f"{column:>10}" for column in columns))
    for f in figures:
        cells = (f.median_ms, f.p99_ms, f.max_ms, f.body_bytes, f.series, f.rss_mb, f.peak_rss_mb)
        print(
            f"{f.name:26}"
            + "".join(f"{cell:>10.2f}" if isinstance(cell, float) else f"{cell:>10d}" for cell in cells)
        )
    exporter = figures[0]
    verdict = "met" if exporter.p99_ms < 10 and exporter.peak_rss_mb < 80 else "MISSED"
    print(
        f"targets p99 < 10 ms and RSS < 80 MB for the exporter ({args.perps} perps, {args.dexes} builder "
        f"dexes of {args.dex_perps} markets, 4 sources): {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scrape-latency-") as tmp:
        workdir = Path(tmp)
        figures = [bench_exporter(args, workdir), bench_node_exporter(args, workdir)]
    report(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
