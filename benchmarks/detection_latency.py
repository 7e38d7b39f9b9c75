"""Detection latency: from the first sign of an incident in Hyperliquid's API to the chat message.

Runs each incident scenario through the whole product on loopback (tests/support/stack.py): the replay
simulator at speed 1 with its rate limit on, the exporter with the shipped poll intervals and streams,
the real Prometheus (scrape every 1 s, rules every 5 s or their group's own interval) with the
project's rules, the real Alertmanager with the shipped routing, the relay and fake Telegram/Discord.
For every onset alert it times seven stages:

    api         first sign in the simulator's API (probed every --probe-interval s from other loopback
                addresses, so the exporter keeps its own rate limit), or the scenario event's time for
                fills, which the probe cannot afford to poll
    poll        first /metrics of the exporter showing it (probed every 0.2 s)
    scrape      first Prometheus sample showing it (sample timestamp = scrape start)
    eval        the alert's activeAt (first evaluation with the expression true)
    for         the alert turning firing
    am          Alertmanager's notification reaching its native receiver sent at the same moment as
                the relay's (generic webhook for criticals, Slack for warnings)
    relay       the message accepted by the fake Telegram (criticals) or Discord (warnings)

    .venv/bin/python -m benchmarks.detection_latency                       # every scenario (~13 min)
    .venv/bin/python -m benchmarks.detection_latency --scenario oracle-deviation --runs 2
    .venv/bin/python -m benchmarks.detection_latency --critical-group-wait 10s  # try another timer
    .venv/bin/python -m benchmarks.detection_latency \
        --exporter-set collectors.market.open_interest_cap_interval_seconds=15  # or a poll interval
    .venv/bin/python -m benchmarks.detection_latency --smoke               # one short scenario
    .venv/bin/python -m benchmarks.detection_latency --polling-only        # without the WebSocket feeds

Goal (issue 9): median within 15 s for alerts without `for`, within 15 s after `for` for the others.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from benchmarks.latency_downstream import (
    alert_times,
    alertmanager_sent_at,
    chat_delivered_at,
    scraped_timeline,
)
from benchmarks.latency_probes import ApiProbe, ExporterProbe
from benchmarks.latency_signals import Plan, Watch, plans
from benchmarks.latency_timeline import Timeline
from exporter.replay.scenario import load_scenario
from tests.support.stack import Stack, StackOptions, running_stack

# Pollers start with the exporter, just after the simulator; the scenarios' events fall on round
# seconds. Starting each run a random fraction of this many scenario seconds in spreads the phase of
# the 5 s and 10 s pollers against the events instead of measuring one lucky (or unlucky) alignment.
PHASE_SPAN_SECONDS = 10.0
STAGES = ("poll", "scrape", "eval", "for", "am", "relay")
GOAL_SECONDS = 15.0


@dataclass
class Measurement:
    scenario: str
    run: int
    phase: float  # scenario seconds skipped at the start (see PHASE_SPAN_SECONDS)
    alert: str = ""
    for_seconds: float = 0.0
    api_source: str = "probe"  # "probe", or "event" when the first sign is the scenario event's time
    sign_at: float | None = None  # scenario seconds of the first sign in the API
    # api, poll, scrape, eval, for, am, relay: wall-clock epoch seconds
    times: dict[str, float | None] = field(default_factory=dict)

    def stage(self, name: str) -> float | None:
        order = ("api", *STAGES)
        end = self.times[name]
        start = self.times[order[order.index(name) - 1]]
        return None if end is None or start is None else end - start

    @property
    def total(self) -> float | None:
        start, end = self.times["api"], self.times["relay"]
        return None if start is None or end is None else end - start

    @property
    def beyond_for(self) -> float | None:
        return None if self.total is None else self.total - self.for_seconds


def _arguments(argv: list[str]) -> argparse.Namespace:
    known = plans()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scenario", action="append", choices=sorted(known), help="repeatable; default: all")
    parser.add_argument("--runs", type=int, default=1, help="runs per scenario (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the runs' random phases (default 1)")
    parser.add_argument(
        "--phase", type=float, help=f"fixed phase in seconds instead of random in [0, {PHASE_SPAN_SECONDS:g})"
    )
    parser.add_argument("--smoke", action="store_true", help="one short scenario (eth-whale), 120 s at most")
    parser.add_argument("--probe-interval", type=float, default=0.5, help="API probe period, seconds")
    parser.add_argument("--scrape-interval", type=float, default=1.0, help="shipped: 1 (exporter job)")
    parser.add_argument(
        "--evaluation-interval", type=float, default=5.0, help="shipped: 5 (groups may set their own)"
    )
    parser.add_argument("--critical-group-wait", help="override the critical route's group_wait (shipped 1s)")
    parser.add_argument("--warning-group-wait", help="override the warning route's group_wait (shipped 5s)")
    parser.add_argument(
        "--exporter-set",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override an exporter setting, e.g. collectors.market.open_interest_cap_interval_seconds=15",
    )
    parser.add_argument(
        "--polling-only",
        action="store_true",
        help="streaming.enabled: false, the exporter as it was before the WebSocket feeds",
    )
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--workdir", type=Path, help="keep logs here (default: a temporary directory)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.probe_interval < 0.1:
        parser.error("--probe-interval must be at least 0.1 s")
    try:
        args.exporter_overrides = _exporter_overrides(args.exporter_set)
    except ValueError as exc:
        parser.error(str(exc))
    if args.polling_only:
        args.exporter_overrides.setdefault("streaming", {})["enabled"] = False
    return args


def _exporter_overrides(assignments: list[str]) -> dict[str, Any]:
    """`a.b.c=VALUE` strings as a nested mapping; VALUE is read as YAML (15, 1.5, true, text)."""
    overrides: dict[str, Any] = {}
    for assignment in assignments:
        path, separator, raw = assignment.partition("=")
        keys = path.split(".")
        if not separator or not all(keys):
            raise ValueError(f"--exporter-set {assignment!r}: expected KEY.PATH=VALUE")
        node = overrides
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = yaml.safe_load(raw)
    return overrides


def _group_wait(args: argparse.Namespace) -> dict[str, str]:
    overrides = {}
    if args.critical_group_wait:
        overrides['severity="critical"'] = args.critical_group_wait
    if args.warning_group_wait:
        overrides['severity="warning"'] = args.warning_group_wait
    return overrides


def _all_delivered(stack: Stack, watches: tuple[Watch, ...]) -> bool:
    return all(chat_delivered_at(stack, watch) is not None for watch in watches)


def run_plan(
    plan: Plan, run: int, phase: float, args: argparse.Namespace, workdir: Path
) -> list[Measurement]:
    timeout = 120.0 if args.smoke else plan.timeout_seconds
    options = StackOptions(
        scenario=plan.scenario,
        speed=1.0,
        scrape_interval=args.scrape_interval,
        evaluation_interval=args.evaluation_interval,
        start_offset=plan.start_offset + phase,
        rate_limit=True,
        alertmanager_group_wait=_group_wait(args),
        extra_exporter_config=args.exporter_overrides,
    )
    feeds = frozenset().union(*(watch.signal.feeds for watch in plan.watches))
    metrics = tuple(sorted({name for watch in plan.watches for name in watch.signal.metrics}))
    watched = [account.address for account in load_scenario(plan.scenario).accounts]
    with running_stack(options, workdir) as stack:
        api = ApiProbe(stack.replay_url, feeds, watched, args.probe_interval)
        api.discover_hlp_children()
        exporter = ExporterProbe(stack.exporter_url, metrics, 0.2)
        api.start()
        exporter.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not _all_delivered(stack, plan.watches):
                time.sleep(1.0)
        finally:
            api.stop()
            exporter.stop()
        for probe in (api, exporter):
            if probe.failures:
                print(
                    f"  {probe.name}: {probe.failures} failed ticks, last: {probe.last_error}",
                    file=sys.stderr,
                )
        window = time.time() - stack.started_at + 5
        seen = Observed(api.timeline, exporter.timeline, scraped_timeline(stack, metrics, window), window)
        measurements = [
            _measure(stack, seen, watch, Measurement(plan.scenario, run, phase)) for watch in plan.watches
        ]
        _print_exporter_costs(stack, window)
    return measurements


@dataclass(frozen=True)
class Observed:
    """What the probes and Prometheus saw of one run."""

    api: Timeline
    exporter: Timeline
    scraped: Timeline
    seconds: float  # how far back the run goes


def _measure(stack: Stack, seen: Observed, watch: Watch, measurement: Measurement) -> Measurement:
    alert = alert_times(stack, watch, seen.seconds)
    if watch.event_at is not None:
        api_at: float | None = stack.scenario_zero_wall + watch.event_at
    else:
        api_at = seen.api.first(watch.signal.condition)
    measurement.alert = watch.label
    measurement.for_seconds = watch.for_seconds
    measurement.api_source = "event" if watch.event_at is not None else "probe"
    measurement.sign_at = None if api_at is None else api_at - stack.scenario_zero_wall
    measurement.times = {
        "api": api_at,
        "poll": seen.exporter.first(watch.signal.condition),
        "scrape": seen.scraped.first(watch.signal.condition),
        "eval": alert.active_at,
        "for": alert.firing_at,
        "am": alertmanager_sent_at(stack, watch),
        "relay": chat_delivered_at(stack, watch),
    }
    return measurement


def _print_exporter_costs(stack: Stack, seconds: float) -> None:
    """What the intervals cost: the exporter's planned API weight against its budget, and the longest
    poll of each collector (a poll's data is published only when the whole poll is done)."""
    planned = stack.query("sum(hyperliquid_exporter_api_weight_planned_per_minute)")
    budget = stack.query("max(hyperliquid_exporter_api_weight_budget_per_minute)")
    if planned and budget:
        print(
            f"  exporter planned weight {float(planned[0]['value'][1]):.0f}/min "
            f"of its budget {float(budget[0]['value'][1]):.0f}/min",
            file=sys.stderr,
        )
    window = f"{int(seconds)}s"
    durations = stack.query(
        f"max by (collector) (max_over_time(hyperliquid_exporter_collector_duration_seconds[{window}]))"
    )
    longest = ", ".join(
        f"{item['metric']['collector']} {float(item['value'][1]):.1f}"
        for item in sorted(durations, key=lambda item: str(item["metric"]["collector"]))
    )
    print(f"  longest poll per collector (s): {longest}", file=sys.stderr)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def print_table(title: str, rows: list[Measurement]) -> None:
    print(f"\n{title}")
    header = ["alert", "run", "sign at", "for", *STAGES, "total", "total-for", "goal"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        beyond = row.beyond_for
        goal = "-" if beyond is None else ("met" if beyond <= GOAL_SECONDS else "missed")
        cells = [
            row.alert + (" *" if row.api_source == "event" else ""),
            str(row.run),
            _seconds(row.sign_at),
            f"{row.for_seconds:.0f}",
            *(_seconds(row.stage(stage)) for stage in STAGES),
            _seconds(row.total),
            _seconds(beyond),
            goal,
        ]
        print("| " + " | ".join(cells) + " |")
    medians = [_seconds(_median([row.stage(stage) for row in rows])) for stage in STAGES]
    total = _median([row.total for row in rows])
    beyond_median = _median([row.beyond_for for row in rows])
    print(f"| median | | | | {' | '.join(medians)} | {_seconds(total)} | {_seconds(beyond_median)} | |")


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the running stack's processes are stopped on the way out."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    _stop_on_sigterm()
    known = plans()
    names = ["eth-whale-2025-03-12"] if args.smoke else (args.scenario or list(known))
    runs = 1 if args.smoke else args.runs
    settings = (
        f"speed 1, scrape {args.scrape_interval:g}s, evaluation {args.evaluation_interval:g}s, "
        f"group_wait overrides {_group_wait(args) or 'none'}, "
        f"exporter overrides {args.exporter_set or 'none'}, API probe every {args.probe_interval:g}s, "
        f"{'polling only' if args.polling_only else 'streams on'}"
    )
    print(f"detection latency: {settings}")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="detection-latency-"))
    everything: list[Measurement] = []
    phases = random.Random(args.seed)
    for name in names:
        for run in range(1, runs + 1):
            began = time.monotonic()
            phase = phases.uniform(0, PHASE_SPAN_SECONDS) if args.phase is None else args.phase
            print(f"{name} run {run}: phase {phase:.2f} s", file=sys.stderr)
            rows = run_plan(known[name], run, phase, args, root / f"{name}-{run}")
            print(f"{name} run {run}: {time.monotonic() - began:.0f} s wall", file=sys.stderr)
            everything += rows
        print_table(
            f"{name}  (seconds; * = first sign taken from the scenario event)",
            [r for r in everything if r.scenario == name],
        )
    print_table("all scenarios", everything)
    missing = [f"{row.scenario}: {row.alert}" for row in everything if row.total is None]
    if missing:
        print("\nno chat message within the timeout: " + "; ".join(missing))
    if args.json:
        args.json.write_text(json.dumps([asdict(row) for row in everything], indent=2))
    print(f"\nlogs: {root}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
