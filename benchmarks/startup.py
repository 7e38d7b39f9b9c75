"""Start-up: how long after its start the exporter has every collector's first success, and `/-/ready`.

Runs the replay simulator (calm scenario, real time, its 1200/min rate limit on) and the exporter with
the shipped config.yaml (budget, intervals, priorities), only its upstream URLs pointed at the
simulator, twice: with the WebSocket streams refused (every feed falls back to REST, as in a stream
outage) and with them live. /metrics and /-/ready are probed every 0.1 s.

    .venv/bin/python -m benchmarks.startup            # both modes, 3 runs each
    .venv/bin/python -m benchmarks.startup --runs 1 --mode rest

Goals (issue 31): every collector's first success and /-/ready within 20 s with the streams refused,
within 10 s with them live.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port, running

GOALS = {"rest": 20.0, "streams": 10.0}
LAST_SUCCESS = "hyperliquid_exporter_collector_last_success_timestamp_seconds"
SOURCES = ("binance", "okx", "bybit", "coinbase")


def exporter_config(replay_url: str, mode: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    config["hyperliquid"]["api_url"] = replay_url
    for source in SOURCES:
        config["reference_prices"][source]["base_url"] = replay_url
    streaming = config.setdefault("streaming", {})
    if mode == "rest":
        # Nothing listens there: every connection is refused at once.
        streaming["ws_url"] = f"ws://127.0.0.1:{free_port()}/ws"
    else:
        streaming["ws_url"] = replay_url.replace("http://", "ws://") + "/ws"
    config.pop("relay", None)
    return config


def first_successes(metrics_url: str, ready_url: str, started: float, limit: float) -> dict[str, float]:
    """Seconds from `started` to each collector's first success, and to /-/ready (key `ready`)."""
    seen: dict[str, float] = {}
    collectors: set[str] = set()
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() - started < limit:
            now = time.monotonic() - started
            try:
                text = client.get(metrics_url).text
                if "ready" not in seen and client.get(ready_url).status_code == 200:
                    seen["ready"] = now
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            for family in text_string_to_metric_families(text):
                if family.name != LAST_SUCCESS.removesuffix("_seconds") and family.name != LAST_SUCCESS:
                    continue
                for sample in family.samples:
                    collector = sample.labels["collector"]
                    collectors.add(collector)
                    if sample.value > 0 and collector not in seen:
                        seen[collector] = now
            if collectors and collectors <= seen.keys() and "ready" in seen:
                return seen
            time.sleep(0.1)
    for collector in collectors - seen.keys():
        seen[collector] = float("inf")
    seen.setdefault("ready", float("inf"))
    return seen


def run_once(mode: str, workdir: Path, limit: float, log_level: str = "info") -> dict[str, float]:
    replay_port, exporter_port = free_port(), free_port()
    replay_url = f"http://127.0.0.1:{replay_port}"
    replay_argv = [
        sys.executable, "-m", "exporter.replay.cli", "--scenario", "calm",
        f"--web.listen-address=127.0.0.1:{replay_port}",
    ]  # fmt: skip
    config_path = workdir / f"config-{mode}.yaml"
    config_path.write_text(yaml.safe_dump(exporter_config(replay_url, mode)))
    exporter_argv = [
        sys.executable, "-m", "exporter.cli", f"--config.file={config_path}",
        f"--web.listen-address=127.0.0.1:{exporter_port}", f"--log.level={log_level}",
    ]  # fmt: skip
    with running(replay_argv, f"{replay_url}/_replay/status", workdir / f"replay-{mode}.log"):
        started = time.monotonic()
        with running(exporter_argv, None, workdir / f"exporter-{mode}.log"):
            base = f"http://127.0.0.1:{exporter_port}"
            return first_successes(f"{base}/metrics", f"{base}/-/ready", started, limit)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--mode", choices=sorted(GOALS), action="append", help="default: both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=90.0, help="give up on a collector after this (s)")
    parser.add_argument("--workdir", type=Path, help="keep configs and logs here (default: a temporary one)")
    parser.add_argument(
        "--log-level", default="info", help="the exporter's (debug: every request's queue time)"
    )
    args = parser.parse_args(argv)
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        if args.workdir is not None:
            args.workdir.mkdir(parents=True, exist_ok=True)
            tmp = str(args.workdir)
        for mode in args.mode or sorted(GOALS):
            runs = [run_once(mode, Path(tmp), args.limit, args.log_level) for _ in range(args.runs)]
            goal = GOALS[mode]
            streams = "refused (REST only)" if mode == "rest" else "live"
            print(f"\nstart-up, streams {streams}: goal {goal:g} s")
            print(f"{'collector':<14} {'median s':>9} {'worst s':>8}  runs")
            for name in sorted({key for run in runs for key in run}):
                values = [run.get(name, float("inf")) for run in runs]
                worst = max(values)
                met &= worst <= goal
                listed = ", ".join(f"{value:.1f}" for value in values)
                print(f"{name:<14} {statistics.median(values):>9.1f} {worst:>8.1f}  {listed}")
    print(f"\nevery collector and /-/ready within the goal in every run: {'yes' if met else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
