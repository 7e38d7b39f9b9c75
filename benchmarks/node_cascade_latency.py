"""Node mode's detection latency: from the 10 Oct 2025 cascade's first ADL block written to the node's
file to the venue-wide ADL critical (`HyperliquidVenueAutoDeleveraging`) in chat (issue 26's goal: 3 s
median).

The whole product on loopback (tests/support/stack.py) in real time: the simulator at speed 1 writing the
scenario's fills as node files (`--node-data-dir`) from shortly before the burst, the exporter with node
mode on and the shipped intervals, the real Prometheus with the project's rules, the real Alertmanager with
the shipped routing, the relay and a fake Telegram. The block is written when the scenario clock reaches
the burst (within the writer's 50 ms tick): the delay runs from that moment to the message's arrival.

    PYTHONPATH=. .venv/bin/python -m benchmarks.node_cascade_latency --runs 5
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from exporter.replay.scenario import FillsEvent, load_scenario
from tests.support.stack import WEBHOOK_PATH, Stack, StackOptions, running_stack, wait_until

SCENARIO = "cascade-2025-10-10"
# Scenario seconds of the first ADL burst (thousands of fills in one millisecond).
FIRST_ADL = min(
    event.at
    for event in load_scenario(SCENARIO).events
    if isinstance(event, FillsEvent) and event.method == "adl"
)


def _delivered_at(stack: Stack) -> float | None:
    monotonic_to_wall = time.time() - time.monotonic()
    for item in list(stack.chat.delivered):
        if item.platform == "telegram" and "FIRING" in item.text.upper() and "on the venue" in item.text:
            return item.at + monotonic_to_wall
    return None


ALERT = "HyperliquidVenueAutoDeleveraging"
COUNTED = re.compile(rb"^hyperliquid_venue_auto_deleverages_total\{[^}]*\} ([1-9][0-9.e+]*)$", re.M)


class ExporterProbe:
    """When the exporter's /metrics first shows a venue ADL (probed every 50 ms)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=2.0) as client:
            while not self._stop.is_set() and self.seen_at is None:
                try:
                    if COUNTED.search(client.get(self.url).content):
                        self.seen_at = time.time()
                except httpx.HTTPError:
                    pass
                self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _alertmanager_sent_at(stack: Stack) -> float | None:
    for request in stack.sink.received(WEBHOOK_PATH):
        for alert in request.body.get("alerts", []):
            if alert["status"] == "firing" and alert["labels"].get("alertname") == ALERT:
                return float(request.received_at)
    return None


def _active_at(stack: Stack) -> float | None:
    for alert in stack.firing_alerts():
        if alert["labels"]["alertname"] == ALERT:
            stamp = alert["activeAt"].rstrip("Z")
            whole, _, fraction = stamp.partition(".")
            seconds = time.mktime(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) - time.timezone
            return seconds + float(f"0.{fraction or 0}")
    return None


def run_once(workdir: Path, lead: float) -> dict[str, float]:
    options = StackOptions(scenario=SCENARIO, speed=1.0, start_offset=FIRST_ADL - lead, node_mode=True)
    with running_stack(options, workdir) as stack:
        probe = ExporterProbe(f"{stack.exporter_url}/metrics")
        try:
            delivered = wait_until(
                lambda: _delivered_at(stack), timeout=lead + 60, what="the venue ADL critical"
            )
        finally:
            probe.stop()
        written = stack.scenario_zero_wall + FIRST_ADL
        stages = {"metrics": probe.seen_at, "alert": _active_at(stack), "am": _alertmanager_sent_at(stack)}
        stages["chat"] = float(delivered)
        return {name: at - written for name, at in stages.items() if at is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lead", type=float, default=20.0, help="scenario seconds before the burst to start")
    args = parser.parse_args()
    delays = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as workdir:
            stages = run_once(Path(workdir), args.lead)
        delays.append(stages["chat"])
        shown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items())
        print(f"run {run + 1}: from the ADL block written: {shown}", flush=True)
    print(
        f"ADL block written -> venue ADL critical in Telegram: median {statistics.median(delays):.2f} s, "
        f"worst {max(delays):.2f} s over {len(delays)} runs"
    )


if __name__ == "__main__":
    main()
