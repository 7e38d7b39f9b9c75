"""A recorded node hour through the real product, in compressed time: the exporter in node mode (every
API collector off) following a data directory the backtest writes the hour into, line by line at `speed`
times its block times, and a real Prometheus per rule set scraping it and evaluating the rules (windows
and `for` divided by the speed, as for a scenario).

Prometheus scrapes every second of the hour's time, as the shipped prometheus.yml does (the node and
liquidation groups evaluate every second); the other groups every 10 s of it, as for a scenario.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from exporter.backtest.exporter_config import node_exporter_config
from exporter.backtest.node_hour import HourPace, HourReplay, HourSummary
from exporter.backtest.processes import free_port, running
from exporter.backtest.stack import prometheus_binary, running_prometheus, wait_for_first_scrape, write_yaml

# Scrapes between the first one and the first line written: the counters are on /metrics at 0 from the
# exporter's start, so increase() sees the first event. No longer: until a block arrives the node reads as
# stalled, and HyperliquidNodeStalled's `for` (30 s of the hour's time) must not run out first.
LEAD_SCRAPES = 2


@dataclass(frozen=True)
class NodeHourRun:
    hour: HourSummary
    chain_start: float  # chain time of the first line written (the range's start, less the warm-up)
    chain_end: float  # of the last
    rule_sets: tuple[tuple[Path, ...], ...]
    speed: float = 10.0
    prometheus_binary: str = "prometheus"


@dataclass
class RunningNodeHour:
    run: NodeHourRun
    prometheus_urls: list[str]
    pace: HourPace
    replay: HourReplay
    # Wall seconds between two rule evaluations of the 10 s groups.
    evaluation_interval: float

    def wall_time(self, chain_s: float) -> float:
        return self.pace.wall(chain_s)

    def wait_for_chain_time(self, chain_s: float) -> None:
        """Until the hour's time `chain_s` has been written, scraped and evaluated."""
        remaining = (self.wall_time(chain_s) - time.time()) + self.evaluation_interval
        if remaining > 0:
            time.sleep(remaining)
        if self.replay.error is not None:
            raise RuntimeError(f"writing the node hour failed: {self.replay.error}")


@contextlib.contextmanager
def running_node_hour(run: NodeHourRun, workdir: Path) -> Iterator[RunningNodeHour]:
    workdir.mkdir(parents=True, exist_ok=True)
    prometheus = prometheus_binary(run.prometheus_binary)
    scrape_interval = 1 / run.speed
    interval = 10 / run.speed
    data_dir = workdir / "node-data"
    data_dir.mkdir(exist_ok=True)
    with contextlib.ExitStack() as exits:
        exporter_port = free_port()
        exporter_url = f"127.0.0.1:{exporter_port}"
        config = node_exporter_config(str(data_dir), run.hour.stream.value, run.speed, scrape_interval)
        exits.enter_context(
            running(
                [
                    sys.executable,
                    "-m",
                    "exporter.backtest.node_exporter",
                    f"--listed-coins={','.join(run.hour.coins)}",
                    f"--config.file={write_yaml(workdir / 'config.yaml', config)}",
                    f"--web.listen-address={exporter_url}",
                ],
                f"http://{exporter_url}/-/healthy",
                workdir / "exporter.log",
            )
        )
        urls = [
            exits.enter_context(
                running_prometheus(
                    prometheus,
                    rules,
                    exporter_url,
                    interval,
                    run.speed,
                    workdir / f"prometheus-{index}",
                    scrape_interval=scrape_interval,
                )
            )
            for index, rules in enumerate(run.rule_sets)
        ]
        for url in urls:
            wait_for_first_scrape(url)
        pace = HourPace(
            run.chain_start, run.chain_end, time.time() + LEAD_SCRAPES * scrape_interval, run.speed
        )
        replay = HourReplay(run.hour, data_dir, pace)
        replay.start()
        exits.callback(replay.stop)
        yield RunningNodeHour(run, urls, pace, replay, interval)
