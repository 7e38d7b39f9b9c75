"""The backtest's evaluation agrees with `promtool test rules` on the same series.

One rule with a range selector and a `for`, one synthetic series (0, then 10 from 60 s to 240 s, then 0):
- through the backtest's own path: the rule scaled to the speed (timescale), a real Prometheus scraping a
  target that serves the series in compressed time, and the alert intervals read back from ALERTS
  (collect.read_alerts), in scenario seconds;
- through promtool: the unscaled rule over the samples that Prometheus scraped (each at its scenario
  second), evaluated every 10 s (the backtest's evaluation interval in scenario time), with the
  expectations written from the backtest's intervals.

promtool passes only if, at every evaluation more than `TOLERANCE` from a boundary the backtest found, it
fires exactly where the backtest says. Prometheus evaluates at its own phase, promtool from 0, so a
boundary may move by up to an evaluation (10 s) and the sample times by their rounding to the second;
the same intervals moved by a minute must fail.
"""

from __future__ import annotations

import math
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from exporter.backtest.collect import Range, read_alerts
from exporter.backtest.model import Timeline
from exporter.backtest.processes import free_port
from exporter.backtest.prometheus_api import PrometheusAPI
from exporter.backtest.stack import running_prometheus, wait_for_first_scrape
from tests.support.binaries import find_binary

SPEED = 30.0
EVALUATION = 10.0  # scenario seconds
END = 330  # scenario seconds of the run
HIGH = (60, 240)  # the series is 10 in [60 s, 240 s), else 0
TOLERANCE = 15.0  # an evaluation interval, the samples' rounding, and a busy machine's delays
RULES = {
    "groups": [
        {
            "name": "probe",
            "rules": [
                {
                    "alert": "ProbeHigh",
                    "expr": "avg_over_time(hl_backtest_probe[1m]) > 5",
                    "for": "1m",
                    "labels": {"severity": "warning"},
                }
            ],
        }
    ]
}


def probe(scenario_seconds: float) -> float:
    return 10.0 if HIGH[0] <= scenario_seconds < HIGH[1] else 0.0


class _Probe(BaseHTTPRequestHandler):
    zero_wall: float | None = None  # scenario time 0; before it is set, the series is 0

    def do_GET(self) -> None:
        seconds = -1.0 if self.zero_wall is None else (time.time() - self.zero_wall) * SPEED
        body = f"# TYPE hl_backtest_probe gauge\nhl_backtest_probe {probe(seconds)}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[str, type[_Probe]]]:
    handler = type("Probe", (_Probe,), {})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Run:
    intervals: list[tuple[float, float]]  # ProbeHigh's firing, as the backtest reads it (scenario seconds)
    samples: dict[int, float]  # what Prometheus scraped, by scenario second


def _scraped(url: str, zero: float) -> dict[int, float]:
    window = math.ceil(END / SPEED) + 2
    answer = httpx.get(
        f"{url}/api/v1/query",
        params={"query": f"hl_backtest_probe[{window}s]", "time": f"{zero + END / SPEED:.3f}"},
        timeout=10,
    ).json()
    samples = {}
    for at, value in answer["data"]["result"][0]["values"]:
        second = round((float(at) - zero) * SPEED)
        if 0 <= second <= END:
            samples[second] = float(value)
    return samples


@pytest.fixture(scope="module")
def run(target: tuple[str, type[_Probe]], tmp_path_factory: pytest.TempPathFactory) -> Run:
    address, handler = target
    home = tmp_path_factory.mktemp("agreement")
    rule_file = home / "probe.rules.yml"
    rule_file.write_text(yaml.safe_dump(RULES))
    interval = EVALUATION / SPEED
    with running_prometheus(
        find_binary("prometheus"), (rule_file,), address, interval, SPEED, home / "prometheus"
    ) as url:
        wait_for_first_scrape(url)
        zero = time.time() + 0.5
        handler.zero_wall = zero
        time.sleep(zero + END / SPEED + 2 * interval - time.time())
        alerts = read_alerts(PrometheusAPI(url), Range(zero, zero + END / SPEED, interval / 2, SPEED))
        samples = _scraped(url, zero)
    timeline = Timeline(zero, SPEED)
    assert {alert.alertname for alert in alerts} == {"ProbeHigh"}
    return Run([(float(timeline.x(a.start)), float(timeline.x(a.end))) for a in alerts], samples)


def promtool_test(
    intervals: list[tuple[float, float]], samples: dict[int, float]
) -> tuple[dict[str, Any], int, int]:
    """A promtool test over `samples` whose expectations are `intervals`; with how many evaluations
    expect firing and how many expect none (those within TOLERANCE of a boundary expect nothing)."""
    boundaries = [edge for interval in intervals for edge in interval]
    tests = []
    firing = quiet = 0
    for at in range(0, END + 1, int(EVALUATION)):
        if any(abs(at - edge) <= TOLERANCE for edge in boundaries):
            continue
        fires = any(start <= at <= end for start, end in intervals)
        firing, quiet = firing + fires, quiet + (not fires)
        tests.append(
            {
                "eval_time": f"{at}s",
                "alertname": "ProbeHigh",
                "exp_alerts": [{"exp_labels": {"severity": "warning"}}] if fires else [],
            }
        )
    # One value a second, `_` (no sample) where Prometheus scraped none.
    values = " ".join(f"{samples[second]:g}" if second in samples else "_" for second in range(END + 1))
    document = {
        "rule_files": ["probe.rules.yml"],
        "evaluation_interval": f"{EVALUATION:g}s",
        "tests": [
            {
                "interval": "1s",
                "input_series": [{"series": "hl_backtest_probe", "values": values}],
                "alert_rule_test": tests,
            }
        ],
    }
    return document, firing, quiet


def run_promtool(directory: Path, document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (directory / "probe.rules.yml").write_text(yaml.safe_dump(RULES))
    (directory / "probe.test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    return subprocess.run(
        [find_binary("promtool"), "test", "rules", "probe.test.yml"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_backtest_fires_where_promtool_does(run: Run, tmp_path: Path) -> None:
    print(f"ProbeHigh firing in the backtest (scenario seconds): {run.intervals}")
    # Prometheus scraped the series every 10 s of scenario time, both levels of it.
    assert len(run.samples) >= END / EVALUATION - 2
    assert set(run.samples.values()) == {0.0, 10.0}
    # One firing stretch, inside the run: pending from about 90 s, firing a minute later until about 270 s.
    assert len(run.intervals) == 1, run.intervals
    document, firing, quiet = promtool_test(run.intervals, run.samples)
    assert firing >= 3, run.intervals
    assert quiet >= 10
    result = run_promtool(tmp_path, document)
    assert result.returncode == 0, f"{run.intervals}\n{result.stdout}{result.stderr}"


def test_intervals_a_minute_off_are_told_apart(run: Run, tmp_path: Path) -> None:
    """The comparison can fail: the same intervals a minute later disagree with promtool."""
    shifted = [(start + 60, end + 60) for start, end in run.intervals]
    result = run_promtool(tmp_path, promtool_test(shifted, run.samples)[0])
    assert result.returncode != 0
    assert "ProbeHigh" in result.stdout + result.stderr
