"""A scenario through the real product, in compressed time: the replay simulator, the exporter and a
real Prometheus evaluating the given rule files (windows and `for` divided by the speed).

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
from exporter.backtest.timescale import write_scaled_rule_files


@dataclass(frozen=True)
class ScenarioRun:
    scenario: str
    rule_files: tuple[Path, ...]
    speed: float = 10.0
    start_offset: float = 0.0
    prometheus_binary: str = "prometheus"


@dataclass
class RunningScenario:
    run: ScenarioRun
    replay_url: str
    prometheus_url: str
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


def _prometheus_binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found on PATH: give --prometheus.binary, "
            "or run scripts/install-prometheus-binaries.sh"
        )
    return found


def _write_yaml(path: Path, document: object) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    return path


@contextlib.contextmanager
def running_scenario(run: ScenarioRun, workdir: Path) -> Iterator[RunningScenario]:
    workdir.mkdir(parents=True, exist_ok=True)
    prometheus = _prometheus_binary(run.prometheus_binary)
    python = sys.executable
    # As tests/e2e: one scrape and one evaluation every 10 scenario seconds (the liquidation and HLP
    # groups set their own, shorter, interval).
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
        config = _write_yaml(workdir / "config.yaml", exporter_config(run.scenario, run.speed, replay_url))
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

        rules_dir = workdir / "rules"
        write_scaled_rule_files(list(run.rule_files), rules_dir, run.speed)
        milliseconds = f"{max(1, round(interval * 1000))}ms"
        prometheus_config = {
            "global": {
                "scrape_interval": milliseconds,
                "scrape_timeout": milliseconds,
                "evaluation_interval": milliseconds,
            },
            "rule_files": [str(rules_dir / "*.rules.yml")],
            "scrape_configs": [{"job_name": "hyperliquid", "static_configs": [{"targets": [exporter_url]}]}],
        }
        prometheus_port = free_port()
        prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        exits.enter_context(
            running(
                [
                    prometheus,
                    f"--config.file={_write_yaml(workdir / 'prometheus.yml', prometheus_config)}",
                    f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                ],
                f"{prometheus_url}/-/ready",
                workdir / "prometheus.log",
            )
        )
        yield RunningScenario(run, replay_url, prometheus_url, zero_wall, interval)
