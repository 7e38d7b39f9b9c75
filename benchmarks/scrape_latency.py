"""Scrape latency and steady-state memory of the exporter, with prometheus-node-exporter as reference.

Starts a loopback fake venue (a mainnet-like universe: 230 perps, 10 builder dexes (HIP-3) of 20
markets each, and the four reference exchanges),
the exporter against it, and Debian's prometheus-node-exporter, all on 127.0.0.1; scrapes each
/metrics at least 1000 times per encoding and prints median, p99 and max latency, response size and
resident memory.

    .venv/bin/python -m benchmarks.scrape_latency            # full run (about a minute)
    .venv/bin/python -m benchmarks.scrape_latency --smoke    # a few seconds, for CI

Scrapes are made like Prometheus makes them: on kept-alive connections, one asking for gzip (what
Prometheus asks by default) and one for identity (`enable_compression: false`), taken in turn, so
each connection is asked every 20 ms or more. `--pause-ms 0` scrapes back to back.

Targets (issue 3): exporter p99 under 10 ms in both encodings, RSS under 80 MB.

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

ACCEPT = "text/plain;version=0.0.4"
ENCODINGS = ("gzip", "identity")


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


def scrape_parser(description: str | None) -> argparse.ArgumentParser:
    """The universe's size, how many scrapes and how far apart: shared with scrape_latency_hlp.py."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--perps", type=int, default=230, help="perps in the fake universe (default 230)")
    parser.add_argument(
        "--scrapes", type=int, default=1000, help="measured scrapes per encoding (default 1000)"
    )
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured scrapes first (default 50)")
    parser.add_argument(
        "--pause-ms",
        type=float,
        default=10.0,
        help="pause after each scrape; a connection is asked again two pauses later (default 10)",
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds: 100 scrapes, 10 warm-up")
    return parser


def parse_scrape_options(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.smoke:
        args.scrapes, args.warmup = 100, 10
    return args


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scrape_parser(__doc__)
    parser.add_argument("--dexes", type=int, default=10, help="builder dexes (HIP-3) (default 10)")
    parser.add_argument("--dex-perps", type=int, default=20, help="markets per builder dex (default 20)")
    return parse_scrape_options(parser, argv)


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


def measure(name: str, url: str, pid: int, args: argparse.Namespace) -> list[Figures]:
    """One figure per encoding; the encodings' scrapes alternate, each on its own kept-alive connection."""
    clients = {
        encoding: httpx.Client(headers={"Accept": ACCEPT, "Accept-Encoding": encoding}, timeout=10)
        for encoding in ENCODINGS
    }
    latencies: dict[str, list[float]] = {encoding: [] for encoding in ENCODINGS}
    wire_bytes: dict[str, int] = {}
    body = b""
    peak = rss_mb(pid)
    try:
        for index in range(args.warmup + args.scrapes):
            for encoding, client in clients.items():
                started = time.perf_counter()
                response = client.get(url)
                body = response.content  # decompressed, as Prometheus does within its scrape
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if encoding == "gzip" and response.headers.get("content-encoding") != "gzip":
                    raise RuntimeError(f"{name} answered a gzip scrape uncompressed")
                wire_bytes[encoding] = response.num_bytes_downloaded
                if index >= args.warmup:
                    latencies[encoding].append(elapsed)
                time.sleep(args.pause_ms / 1000)
            if index % 100 == 0:
                peak = max(peak, rss_mb(pid))
        rss = rss_mb(pid)
    finally:
        for client in clients.values():
            client.close()
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    figures = []
    for encoding, measured in latencies.items():
        percentiles = statistics.quantiles(measured, n=100, method="inclusive")
        figures.append(
            Figures(
                name=f"{name} ({encoding})",
                scrapes=len(measured),
                median_ms=statistics.median(measured) * 1000,
                p99_ms=percentiles[98] * 1000,
                max_ms=max(measured) * 1000,
                body_bytes=wire_bytes[encoding],
                series=series,
                rss_mb=rss,
                peak_rss_mb=max(peak, rss),
            )
        )
    return figures


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


def bench_exporter(args: argparse.Namespace, workdir: Path) -> list[Figures]:
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


def bench_node_exporter(args: argparse.Namespace, workdir: Path) -> list[Figures]:
    port = free_port()
    argv = [find_binary("prometheus-node-exporter"), f"--web.listen-address=127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}/metrics"
    with running(argv, url, workdir / "node-exporter.log") as process:
        return measure("prometheus-node-exporter", url, process.pid, args)


def report(figures: list[Figures], args: argparse.Namespace) -> None:
    print(
        f"/metrics scrape latency: {args.scrapes} scrapes per encoding on kept-alive connections, "
        f"{args.pause_ms:g} ms pause after each (each connection asked every {2 * args.pause_ms:g} ms "
        f"or more), after {args.warmup} warm-up; 127.0.0.1; bytes on the wire; RSS at the end and peak"
    )
    columns = ("median ms", "p99 ms", "max ms", "bytes", "series", "RSS MB", "peak MB")
    print(f"{'target':37}" + "".join(f"{column:>10}" for column in columns))
    for f in figures:
        cells = (f.median_ms, f.p99_ms, f.max_ms, f.body_bytes, f.series, f.rss_mb, f.peak_rss_mb)
        print(
            f"{f.name:37}"
            + "".join(f"{cell:>10.2f}" if isinstance(cell, float) else f"{cell:>10d}" for cell in cells)
        )
    exporter = [f for f in figures if f.name.startswith("hyperliquid-exporter")]
    met = all(f.p99_ms < 10 and f.peak_rss_mb < 80 for f in exporter)
    print(
        f"targets p99 < 10 ms in both encodings and RSS < 80 MB for the exporter ({args.perps} perps, "
        f"{args.dexes} builder dexes of {args.dex_perps} markets, 4 sources): {'met' if met else 'MISSED'}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scrape-latency-") as tmp:
        workdir = Path(tmp)
        figures = bench_exporter(args, workdir) + bench_node_exporter(args, workdir)
    report(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
