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
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.stack import Stack, StackOptions, running_stack, wait_until

SCENARIO = "cascade-2025-10-10"
FIRST_ADL = 94.0  # scenario seconds: 2,400 ADL fills in one millisecond


def _delivered_at(stack: Stack) -> float | None:
    monotonic_to_wall = time.time() - time.monotonic()
    for item in list(stack.chat.delivered):
        if item.platform == "telegram" and "FIRING" in item.text.upper() and "on the venue" in item.text:
            return item.at + monotonic_to_wall
    return None


def run_once(workdir: Path, lead: float) -> float:
    options = StackOptions(scenario=SCENARIO, speed=1.0, start_offset=FIRST_ADL - lead, node_mode=True)
    with running_stack(options, workdir) as stack:
        delivered = wait_until(lambda: _delivered_at(stack), timeout=lead + 60, what="the venue ADL critical")
        written = stack.scenario_zero_wall + FIRST_ADL
        return float(delivered) - written


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lead", type=float, default=20.0, help="scenario seconds before the burst to start")
    args = parser.parse_args()
    delays = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as workdir:
            delay = run_once(Path(workdir), args.lead)
        delays.append(delay)
        print(f"run {run + 1}: ADL block written -> venue ADL critical in Telegram {delay:.2f} s", flush=True)
    print(f"median {statistics.median(delays):.2f} s, worst {max(delays):.2f} s over {len(delays)} runs")


if __name__ == "__main__":
    main()
