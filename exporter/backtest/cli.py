"""hyperliquid-backtest: what the rules would have said, and when, as one HTML report.

    hyperliquid-backtest --scenario=cascade-2025-10-10 --output=cascade.html
    hyperliquid-backtest --scenario=jelly-2025-03-26 --rules rules/ --compare-rules proposal/
    hyperliquid-backtest --prometheus=http://prometheus:9090 --from=2025-10-10T21:00:00Z \\
        --to=2025-10-10T22:00:00Z --onset=2025-10-10T21:15:00Z --coin=BTC
    hyperliquid-backtest --node=~/hl/data --hour=20251010/21 --onset=2025-10-10T21:15:00Z --speed=20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from exporter.backtest.collect import EVERY_ALERT, Range, read_backtest
from exporter.backtest.model import Backtest, Timeline
from exporter.backtest.node_hour import HourSummary, locate_hour, scan_hour
from exporter.backtest.node_stack import NodeHourRun, running_node_hour
from exporter.backtest.panels import NOT_IN_A_NODE_HOUR, node_panels, panels
from exporter.backtest.prometheus_api import PrometheusAPI
from exporter.backtest.report import render
from exporter.backtest.rule_changes import changed_alerts
from exporter.backtest.stack import ScenarioRun, running_scenario
from exporter.backtest.summary import differences
from exporter.backtest.timescale import rule_files
from exporter.replay.scenario import Scenario, ScenarioError, load_scenario, scenario_onset


def _instant(text: str) -> float:
    """Epoch seconds from a number or an RFC 3339 time (`Z` allowed)."""
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperliquid-backtest",
        description="Run rule files over a scenario (or read a recorded Prometheus range) and write one "
        "self-contained HTML report: the market, HLP and liquidation panels with the alerts drawn "
        "across them.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", help="a shipped scenario's name or a scenario YAML file")
    source.add_argument("--prometheus", metavar="URL", help="a Prometheus holding a recorded range")
    source.add_argument(
        "--node",
        type=Path,
        metavar="FILE_OR_DIR",
        help="a recorded hour of a node's fills: an hourly node_fills_by_block or node_fills file (plain or "
        "the archive's .lz4), or a node data directory with --hour",
    )
    parser.add_argument("--hour", metavar="YYYYMMDD/H", help="--node DIR: the hour to replay from it")
    parser.add_argument(
        "--from",
        dest="from_",
        metavar="TIME",
        help="start: scenario seconds (default: 60 s before the onset), or for --prometheus RFC 3339 / "
        "epoch; for --node seconds after the hour's first block or RFC 3339 (default: its first block)",
    )
    parser.add_argument(
        "--to",
        metavar="TIME",
        help="end: scenario seconds (default: 300 s after the onset), or for --prometheus RFC 3339 / epoch; "
        "for --node as --from (default: its last block)",
    )
    parser.add_argument(
        "--onset",
        metavar="TIME",
        help="the incident's onset, to measure alerts from (default: the scenario's annotated onset, or a "
        "node hour's first block)",
    )
    parser.add_argument(
        "--rules",
        nargs="+",
        type=Path,
        metavar="DIR_OR_FILE",
        help="rule files or directories of *.rules.yml (default: ./rules); scenarios only",
    )
    parser.add_argument(
        "--compare-rules",
        nargs="+",
        type=Path,
        metavar="DIR_OR_FILE",
        help="a second rule set: the report shows both side by side and lists the differences in firing",
    )
    parser.add_argument(
        "--coin", help="the coin of the price and funding panels (default: the scenario's first)"
    )
    parser.add_argument("--speed", type=float, default=10.0, help="scenario seconds per wall second")
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="wall seconds the scenario runs before --from (the stack starts, the rules' windows fill)",
    )
    parser.add_argument(
        "--step", type=float, help="--prometheus: seconds between points (default: range/1500)"
    )
    parser.add_argument("--output", "-o", type=Path, help="the HTML file (default: backtest-SOURCE.html)")
    parser.add_argument("--title", help="the report's title")
    parser.add_argument("--prometheus.binary", dest="prometheus_binary", default="prometheus")
    parser.add_argument(
        "--workdir", type=Path, help="keep the run's logs and data here (default: a temp dir)"
    )
    return parser


def _rules_label(paths: list[Path]) -> str:
    return " ".join(str(path) for path in paths)


def incident_coin(scenario: Scenario) -> str:
    """The coin the scenario's events name first (JELLY for JELLY), else its first coin, else BTC."""
    for event in sorted(scenario.events, key=lambda event: event.at):
        coins = [getattr(event, "coin", None), *getattr(event, "coins", [])]
        named = [coin for coin in coins if coin and coin != "*"]
        if named:
            return str(named[0])
    return scenario.market.coins[0].name if scenario.market.coins else "BTC"


def _scenario_backtests(
    args: argparse.Namespace, rule_sets: list[list[Path]], workdir: Path
) -> list[Backtest]:
    scenario = load_scenario(args.scenario)
    onset = float(args.onset) if args.onset is not None else scenario_onset(scenario)
    start = float(args.from_) if args.from_ is not None else max(0.0, onset - 60)
    end = float(args.to) if args.to is not None else onset + 300
    if end <= start:
        raise ValueError(f"--to ({end}) must be after --from ({start})")
    coin = args.coin or incident_coin(scenario)
    run = ScenarioRun(
        scenario=args.scenario,
        rule_sets=tuple(tuple(rule_files(rules)) for rules in rule_sets),
        speed=args.speed,
        # The simulator starts ahead of the range, so that the stack is up and the rules' windows hold
        # data when it begins.
        start_offset=start - args.warmup * args.speed,
        prometheus_binary=args.prometheus_binary,
    )
    with running_scenario(run, workdir) as running:
        running.wait_for_scenario_time(end)
        span = Range(
            start=running.wall_time(start),
            end=min(time.time(), running.wall_time(end)),
            step=running.evaluation_interval / 2,
            speed=args.speed,
        )
        return [
            read_backtest(
                PrometheusAPI(url),
                panels(coin),
                span,
                Timeline(running.scenario_zero_wall, args.speed),
                title=args.title or f"Backtest: {scenario.name}",
                source=f"scenario {scenario.name}, t={start:.0f}-{end:.0f} s, run at speed {args.speed:g}",
                rules=_rules_label(rules),
                onset=running.wall_time(onset),
            )
            for url, rules in zip(running.prometheus_urls, rule_sets, strict=True)
        ]


# A node hour is judged by the rules on the node's series. The others judge series it has not (prices, HLP)
# or the health of API collectors it does not run.
NODE_ALERTS = f'{EVERY_ALERT}, collector="node"'


def _node_instant(text: str, first_s: float) -> float:
    """A time in a node hour: seconds after its first line, or epoch seconds, or RFC 3339."""
    try:
        value = float(text)
    except ValueError:
        return _instant(text)
    # No hour is 10^9 seconds long: a number that large is an epoch time.
    return value if value >= 1e9 else first_s + value


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _node_source_text(hour: HourSummary, start: float, end: float, speed: float) -> str:
    return (
        f"node hour {hour.path} ({hour.stream.value}, {hour.lines} lines from {_utc(hour.first_s)} to "
        f"{_utc(hour.last_s)}), {_utc(start)} to {_utc(end)} run at speed {speed:g}; alerts: the rules "
        'labelled collector="node" (the others judge series a node hour has not)'
    )


def _node_backtests(args: argparse.Namespace, rule_sets: list[list[Path]], workdir: Path) -> list[Backtest]:
    if args.coin:
        raise ValueError("--coin chooses the price and funding panels: a node hour has neither")
    hour = scan_hour(locate_hour(args.node.expanduser(), args.hour))
    start = _node_instant(args.from_, hour.first_s) if args.from_ is not None else hour.first_s
    end = _node_instant(args.to, hour.first_s) if args.to is not None else hour.last_s
    onset = _node_instant(args.onset, hour.first_s) if args.onset is not None else hour.first_s
    if end <= start:
        raise ValueError(f"--to ({_utc(end)}) must be after --from ({_utc(start)})")
    run = NodeHourRun(
        hour=hour,
        # The blocks before the range are written too (the rules' windows hold them when it begins).
        chain_start=max(hour.first_s, start - args.warmup * args.speed),
        chain_end=end,
        rule_sets=tuple(tuple(rule_files(rules)) for rules in rule_sets),
        speed=args.speed,
        prometheus_binary=args.prometheus_binary,
    )
    with running_node_hour(run, workdir) as running:
        running.wait_for_chain_time(end)
        span = Range(
            start=running.wall_time(start),
            end=min(time.time(), running.wall_time(end)),
            # Every second of the hour: the node group evaluates that often.
            step=1 / args.speed,
            speed=args.speed,
        )
        timeline = Timeline(running.pace.wall_start, args.speed, utc_at_zero=running.pace.chain_start)
        backtests = [
            read_backtest(
                PrometheusAPI(url),
                node_panels(),
                span,
                timeline,
                title=args.title or f"Backtest: node hour {_utc(hour.first_s)[:13]}h",
                source=_node_source_text(hour, start, end, args.speed),
                rules=_rules_label(rules),
                onset=running.wall_time(onset),
                alerts=NODE_ALERTS,
            )
            for url, rules in zip(running.prometheus_urls, rule_sets, strict=True)
        ]
    for backtest in backtests:
        backtest.not_drawn = dict(NOT_IN_A_NODE_HOUR)
    return backtests


def _recorded_backtest(args: argparse.Namespace) -> Backtest:
    if args.rules or args.compare_rules:
        raise ValueError(
            "--rules and --compare-rules apply to a scenario: a recorded range shows its own alerts"
        )
    if args.from_ is None or args.to is None:
        raise ValueError("--prometheus needs --from and --to")
    start, end = _instant(args.from_), _instant(args.to)
    if end <= start:
        raise ValueError("--to must be after --from")
    step = args.step or max(1.0, (end - start) / 1500)
    return read_backtest(
        PrometheusAPI(args.prometheus),
        panels(args.coin or "BTC"),
        Range(start, end, step),
        Timeline(),
        title=args.title or f"Backtest: {args.prometheus}",
        source=f"recorded range of {args.prometheus}",
        rules="as recorded",
        onset=_instant(args.onset) if args.onset is not None else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    began = time.monotonic()
    rule_sets: list[list[Path]] = []
    try:
        if args.hour is not None and args.node is None:
            raise ValueError("--hour applies to --node")
        if args.prometheus:
            backtests = [_recorded_backtest(args)]
        else:
            rule_sets = [args.rules or [Path("rules")]]
            if args.compare_rules:
                rule_sets.append(args.compare_rules)
            run = _node_backtests if args.node else _scenario_backtests
            with tempfile.TemporaryDirectory(prefix="hl-backtest-") as temp:
                backtests = run(args, rule_sets, args.workdir or Path(temp))
    except (ScenarioError, ValueError, FileNotFoundError, RuntimeError, OSError) as exc:
        print(f"hyperliquid-backtest: {exc}", file=sys.stderr)
        return 2
    found = None
    if len(backtests) == 2:
        # The two Prometheus servers scrape and evaluate at their own instants: an evaluation apart
        # (10 scenario seconds) is no difference.
        changed = changed_alerts(rule_files(rule_sets[0]), rule_files(rule_sets[1]))
        found = differences(backtests[0], backtests[1], tolerance=10.0, changed=changed)
    name = (args.scenario and Path(args.scenario).stem) or ("node" if args.node else "prometheus")
    output = args.output or Path(f"backtest-{name}.html")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(backtests, found), encoding="utf-8")
    alerts = sum(len(b.alerts) for b in backtests)
    print(f"wrote {output} ({alerts} alert intervals) in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
