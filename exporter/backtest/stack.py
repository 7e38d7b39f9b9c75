"""A scenario through the real product, in compressed time: the replay simulator, the exporter and a
real Prometheus per rule set evaluating its rule files (windows and `for` divided by the speed).

Two rule sets are compared on one run: their Prometheus servers scrape the same exporter, so the
series under both are the same and only the rules differ.

No Alertmanager: the rules' `ALERTS` series are all a backtest reads. Every server binds 127.0.0.1
on a free port and is stopped when the `with` block ends.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from exporter.backtest.exporter_config import exporter_config
from exporter.backtest.processes import free_port, running
from exporter.backtest.timescale import evaluation_ms, write_scaled_rule_files


@dataclass(frozen=True)
class ScenarioRun:
    scenario: str
    # One Prometheus per rule set.
    rule_sets: tuple[tuple[Path, ...], ...]
    speed: float = 10.0
    start_offset: float = 0.0
    prometheus_binary: str = "prometheus"


@dataclass
class RunningScenario:
    run: ScenarioRun
    replay_url: str
    prometheus_urls: list[str]
    # Wall-clock epoch seconds of scenario time 0.
    scenario_zero_wall: float
    # Wall seconds between two rule evaluations (and two scrapes).
    evaluation_interval: float

    def scenario_time(self) -> float:
        status = httpx.get(f"{self.replay_url}/_replay/status", timeout=5).json()
        return float(status["scenario_time_seconds"])

    def wall_time(self, scenario_seconds: float) -> float:
        return self.scenario_zero_wall + scenario_seconds / self.run.speed

    def wait_for_scenario_time(self, scenario_seconds: float) -> None:
        remaining = (self.wall_time(scenario_seconds) - time.time()) + self.evaluation_interval
        if remaining > 0:
            time.sleep(remaining)


# Prometheus hands its targets to the scrape manager at most every 5 s: the first scrape comes that late.
FIRST_SCRAPE_TIMEOUT = 30.0


def wait_for_first_scrape(url: str) -> None:
    """Until the Prometheus at `url` has scraped its target once."""
    deadline = time.monotonic() + FIRST_SCRAPE_TIMEOUT
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            answer = client.get(f"{url}/api/v1/query", params={"query": 'up{job="hyperliquid"} == 1'})
            if answer.status_code == 200 and answer.json()["data"]["result"]:
                return
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not scrape its target within {FIRST_SCRAPE_TIMEOUT:g} s")


def prometheus_binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found on PATH: give --prometheus.binary, "
            "or run scripts/install-prometheus-binaries.sh"
        )
    return found


def write_yaml(path: Path, document: object) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    return path


@contextlib.contextmanager
def running_scenario(run: ScenarioRun, workdir: Path) -> Iterator[RunningScenario]:
    workdir.mkdir(parents=True, exist_ok=True)
    prometheus = prometheus_binary(run.prometheus_binary)
    python = sys.executable
    # One scrape and one evaluation every 10 scenario seconds (the liquidation and HLP groups set their
    # own, shorter, interval). tests/e2e evaluates the other groups every 20, to spare CPU; a report keeps
    # the finer timing.
    interval = 10 / run.speed
    with contextlib.ExitStack() as exits:
        replay_port = free_port()
        replay_url = f"http://127.0.0.1:{replay_port}"
        exits.enter_context(
            running(
                [
                    python,
                    "-m",
                    "exporter.replay.cli",
                    f"--scenario={run.scenario}",
                    f"--web.listen-address=127.0.0.1:{replay_port}",
                    f"--speed={run.speed}",
                    f"--start-offset={run.start_offset}",
                    "--no-rate-limit",
                ],
                f"{replay_url}/_replay/status",
                workdir / "replay.log",
            )
        )
        status = httpx.get(f"{replay_url}/_replay/status", timeout=5).json()
        zero_wall = float(status["scenario_zero_wall_ms"]) / 1000

        exporter_port = free_port()
        exporter_url = f"127.0.0.1:{exporter_port}"
        config = write_yaml(workdir / "config.yaml", exporter_config(run.scenario, run.speed, replay_url))
        exits.enter_context(
            running(
                [
                    python,
                    "-m",
                    "exporter.cli",
                    f"--config.file={config}",
                    f"--web.listen-address={exporter_url}",
                ],
                f"http://{exporter_url}/-/healthy",
                workdir / "exporter.log",
            )
        )

        urls = [
            exits.enter_context(
                running_prometheus(
                    prometheus, rules, exporter_url, interval, run.speed, workdir / f"prometheus-{index}"
                )
            )
            for index, rules in enumerate(run.rule_sets)
        ]
        yield RunningScenario(run, replay_url, urls, zero_wall, interval)


@contextlib.contextmanager
def running_prometheus(
    binary: str,
    rules: tuple[Path, ...],
    target: str,
    interval: float,
    speed: float,
    home: Path,
    scrape_interval: float | None = None,
) -> Iterator[str]:
    """A Prometheus scraping `target` every `scrape_interval` (default: `interval`) wall seconds and
    evaluating `rules`, scaled to `speed`, every `interval` (groups with their own interval: scaled)."""
    rules_dir = home / "rules"
    # Rounded up to the millisecond, as the rule groups' own intervals (timescale.scaled_interval).
    scrape_ms = evaluation_ms(scrape_interval or interval, 1)
    write_scaled_rule_files(list(rules), rules_dir, speed, min_interval_ms=scrape_ms)
    scrape = f"{scrape_ms}ms"
    config = {
        "global": {
            "scrape_interval": scrape,
            "scrape_timeout": scrape,
            "evaluation_interval": f"{evaluation_ms(interval, 1)}ms",
        },
        "rule_files": [str(rules_dir / "*.rules.yml")],
        "scrape_configs": [{"job_name": "hyperliquid", "static_configs": [{"targets": [target]}]}],
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(
        [
            binary,
            f"--config.file={write_yaml(home / 'prometheus.yml', config)}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        f"{url}/-/ready",
        home / "prometheus.log",
    ):
        yield url
