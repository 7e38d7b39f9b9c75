"""Detection latency: from the first sign of an incident in Hyperliquid's API to the chat message.

Runs each incident scenario through the whole product on loopback (tests/support/stack.py): the replay
simulator at speed 1 with its rate limit on, the exporter with the shipped poll intervals and streams,
the real Prometheus (scrape every 1 s, rules every 5 s or their group's own interval) with the
project's rules, the real Alertmanager with the shipped routing, the relay and fake Telegram/Discord.
For every onset alert it times seven stages:

    api         first sign in the simulator's API (probed every --probe-interval s from other loopback
                addresses, so the exporter keeps its own rate limit), or the scenario event's time for
                fills, which the probe cannot afford to poll (for a liquidation cascade: the first probe
                snapshot showing its breadth from the first backstop or ADL fill on)
    poll        first /metrics of the exporter showing it (probed every 0.2 s)
    scrape      first Prometheus sample showing it (sample timestamp = scrape start)
    eval        the alert's activeAt (first evaluation with the expression true)
    for         the alert turning firing
    am          Alertmanager's notification reaching its native receiver sent at the same moment as
                the relay's (generic webhook for criticals, Slack for warnings)
    relay       the message accepted by the fake Telegram (criticals) or Discord (warnings)

    .venv/bin/python -m benchmarks.detection_latency                       # every scenario (~30 min)
    .venv/bin/python -m benchmarks.detection_latency --scenario oracle-deviation --runs 2
    .venv/bin/python -m benchmarks.detection_latency --critical-group-wait 10s  # try another timer
    .venv/bin/python -m benchmarks.detection_latency \
        --exporter-set collectors.market.open_interest_cap_interval_seconds=15  # or a poll interval
    .venv/bin/python -m benchmarks.detection_latency --smoke               # one short scenario
    .venv/bin/python -m benchmarks.detection_latency --polling-only        # without the WebSocket feeds

Goals: criticals without `for` in chat within 5 s median of the first sign (issue 15); every other
alert within 15 s after its `for` (issue 9). The summary groups the alerts that way.
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
# Issue 15: criticals without `for` in chat within 5 s (median) of the first API-visible sign.
GOAL_WITHOUT_FOR_SECONDS = 5.0
# Issue 9: everything else within 15 s after its `for`.
GOAL_BEYOND_FOR_SECONDS = 15.0


@dataclass
class Measurement:
    scenario: str
    run: int
    phase: float  # scenario seconds skipped at the start (see PHASE_SPAN_SECONDS)
    alert: str = ""
    severity: str = ""
    for_seconds: float = 0.0
    # "probe"; "event" when the first sign is the scenario event's time; "probe after event" when it is
    # the first probe snapshot showing the rest of the signal from the event (fills) on
    api_source: str = "probe"
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

    @property
    def group(self) -> str:
        if self.severity != "critical":
            return WARNINGS
        return CRITICAL_WITHOUT_FOR if self.for_seconds == 0 else CRITICAL_WITH_FOR

    @property
    def goal_met(self) -> bool | None:
        """Against its group's goal: 5 s in all without `for`, 15 s beyond `for` otherwise."""
        if self.beyond_for is None:
            return None
        limit = GOAL_WITHOUT_FOR_SECONDS if self.group == CRITICAL_WITHOUT_FOR else GOAL_BEYOND_FOR_SECONDS
        return self.beyond_for <= limit


CRITICAL_WITHOUT_FOR = "criticals without `for`"
CRITICAL_WITH_FOR = "criticals with `for`"
WARNINGS = "warnings"
GROUPS = (CRITICAL_WITHOUT_FOR, CRITICAL_WITH_FOR, WARNINGS)


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
    probed_part = watch.signal.probed_part
    if watch.event_at is None:
        api_at = seen.api.first(watch.signal.condition)
        measurement.api_source = "probe"
    elif probed_part is None:
        api_at = stack.scenario_zero_wall + watch.event_at
        measurement.api_source = "event"
    else:
        api_at = seen.api.first(probed_part, since=stack.scenario_zero_wall + watch.event_at)
        measurement.api_source = "probe after event"
    measurement.alert = watch.label
    measurement.severity = watch.severity
    measurement.for_seconds = watch.for_seconds
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


SOURCE_MARKS = {"probe": "", "event": " *", "probe after event": " +"}


def _goal(row: Measurement) -> str:
    met = row.goal_met
    return "-" if met is None else ("met" if met else "missed")


def print_table(title: str, rows: list[Measurement]) -> None:
    print(f"\n{title}")
    header = ["alert", "run", "sign at", "for", *STAGES, "total", "total-for", "goal"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [
            row.alert + SOURCE_MARKS[row.api_source],
            str(row.run),
            _seconds(row.sign_at),
            f"{row.for_seconds:.0f}",
            *(_seconds(row.stage(stage)) for stage in STAGES),
            _seconds(row.total),
            _seconds(row.beyond_for),
            _goal(row),
        ]
        print("| " + " | ".join(cells) + " |")
    medians = [_seconds(_median([row.stage(stage) for row in rows])) for stage in STAGES]
    total = _median([row.total for row in rows])
    beyond_median = _median([row.beyond_for for row in rows])
    print(f"| median | | | | {' | '.join(medians)} | {_seconds(total)} | {_seconds(beyond_median)} | |")


def print_summary(rows: list[Measurement]) -> None:
    """Medians per group of alerts, against the group's goal."""
    print("\nsummary (seconds from the first API-visible sign to the chat message; medians)")
    print("| group | alerts | measurements | median total | median total-for | goal | median meets it |")
    print("|---|---|---|---|---|---|---|")
    for group in GROUPS:
        members = [row for row in rows if row.group == group]
        if not members:
            continue
        alerts = ", ".join(sorted({row.alert.split(" (")[0].removeprefix("Hyperliquid") for row in members}))
        total = _median([row.total for row in members])
        beyond = _median([row.beyond_for for row in members])
        if group == CRITICAL_WITHOUT_FOR:
            goal, limit = f"total <= {GOAL_WITHOUT_FOR_SECONDS:g}", GOAL_WITHOUT_FOR_SECONDS
        else:
            goal, limit = f"total-for <= {GOAL_BEYOND_FOR_SECONDS:g}", GOAL_BEYOND_FOR_SECONDS
        verdict = "-" if beyond is None else ("yes" if beyond <= limit else "no")
        cells = [group, alerts, str(len(members)), _seconds(total), _seconds(beyond), goal, verdict]
        print("| " + " | ".join(cells) + " |")
    for row in rows:
        if row.group == CRITICAL_WITHOUT_FOR and row.goal_met is False:
            where = f"{row.scenario} run {row.run}, {row.alert}"
            print(f"  over {GOAL_WITHOUT_FOR_SECONDS:g} s: {where}: {_seconds(row.total)}")


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
            f"{name}  (seconds; * = first sign at the scenario's fills event, "
            "+ = first probe snapshot showing the rest of the signal from that event on)",
            [r for r in everything if r.scenario == name],
        )
    print_table("all scenarios", everything)
    print_summary(everything)
    missing = [f"{row.scenario}: {row.alert}" for row in everything if row.total is None]
    if missing:
        print("\nno chat message within the timeout: " + "; ".join(missing))
    if args.json:
        args.json.write_text(json.dumps([asdict(row) for row in everything], indent=2))
    print(f"\nlogs: {root}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
