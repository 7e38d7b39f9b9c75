"""`hyperliquid-replay`: serve a scenario as the Hyperliquid info API and the reference exchanges."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

from exporter.listen import parse_listen_address
from exporter.logs import add_logging_flags, setup_logging
from exporter.node.config import NodeStream
from exporter.replay.app import ReplayState, create_app
from exporter.replay.clock import ScenarioClock
from exporter.replay.faults import FaultError, FaultSet, parse_fault_flag
from exporter.replay.node_archive import replay_archive
from exporter.replay.node_writer import ScenarioNodeWriter, start_in_thread
from exporter.replay.rate_limit import WeightLimiter
from exporter.replay.scenario import ScenarioError, load_scenario, scenario_names
from exporter.replay.timeline import Timeline

DEFAULT_LISTEN = ":9764"
log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperliquid-replay",
        description="Serve a scenario as the Hyperliquid info API and reference-exchange price endpoints.",
    )
    parser.add_argument(
        "--scenario", help=f"a YAML file or a shipped scenario: {', '.join(scenario_names())}"
    )
    parser.add_argument(
        "--web.listen-address", dest="listen", default=DEFAULT_LISTEN, help="HOST:PORT or :PORT"
    )
    parser.add_argument("--speed", type=float, default=1.0, help="scenario seconds per wall-clock second")
    parser.add_argument("--start-offset", type=float, default=0.0, help="scenario time at start, in seconds")
    parser.add_argument("--no-rate-limit", action="store_true", help="do not answer 429 past 1200 weight/min")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="TARGET:KIND[=VALUE][@P]",
        help="inject a fault, e.g. info:latency=0.5, binance:down=451, info:error=503@0.2, okx:malformed, "
        "info:rate_limit=100000 (429 with that Retry-After), info:drip=1 (a byte a second), info:hang",
    )
    parser.add_argument(
        "--node-data-dir",
        type=Path,
        help="also write the scenario's fills as a non-validating node's output under this directory "
        "(node mode's data_dir), in real time; with --node-archive, where the archive hour is replayed",
    )
    parser.add_argument(
        "--node-stream",
        choices=[NodeStream.FILLS_BY_BLOCK.value, NodeStream.FILLS.value],
        default=NodeStream.FILLS_BY_BLOCK.value,
        help="node_fills_by_block (one line per block, default) or node_fills (one line per fill)",
    )
    parser.add_argument(
        "--node-archive",
        type=Path,
        metavar="HOUR.lz4",
        help="replay one hour of the public node-data archive (node_fills_by_block/hourly/YYYYMMDD/H.lz4, "
        "or an hour file the node wrote) "
        "into --node-data-dir at --speed times its block times, then exit (no scenario, no server)",
    )
    parser.add_argument(
        "--node-archive-fast", action="store_true", help="replay the archive hour without waiting"
    )
    parser.add_argument(
        "--node-archive-retime",
        action="store_true",
        help="write each block with the wall time it is written at, so the replayed hour reads as live",
    )
    parser.add_argument("--scenario.check", dest="check", action="store_true", help="validate and exit")
    parser.add_argument("--list-scenarios", action="store_true", help="print the shipped scenarios and exit")
    add_logging_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    if args.list_scenarios:
        print("\n".join(scenario_names()))
        return 0
    if args.node_archive is not None:
        return _replay_archive(args)
    if not args.scenario:
        print("hyperliquid-replay: --scenario is required", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print(f"hyperliquid-replay: --speed must be positive, got {args.speed}", file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario)
        timeline = Timeline(scenario)
        faults = [parse_fault_flag(text) for text in args.fault]
        host, port = parse_listen_address(args.listen)
    except (ScenarioError, FaultError, ValueError) as exc:
        print(f"hyperliquid-replay: {exc}", file=sys.stderr)
        return 2
    if args.check:
        market = timeline.market
        perps, events = len(market.on_dex("")), len(scenario.events)
        dexes = ", ".join(f"{dex.name}: {len(market.on_dex(dex.name))}" for dex in market.dexes) or "none"
        print(f"scenario {scenario.name}: OK ({perps} perps, {events} events; builder dex perps {dexes})")
        return 0
    state = ReplayState(
        timeline=timeline,
        clock=ScenarioClock(speed=args.speed, start_offset=args.start_offset),
        limiter=None if args.no_rate_limit else WeightLimiter(),
        faults=FaultSet(faults, seed=scenario.seed),
    )
    log.info("replaying %s at speed %g on %s:%d", scenario.name, args.speed, host, port)
    node = None
    if args.node_data_dir is not None:
        writer = ScenarioNodeWriter(timeline, state.clock, args.node_data_dir, NodeStream(args.node_stream))
        node = start_in_thread(writer)
        log.info("writing the scenario's fills as node files under %s", args.node_data_dir)
    try:
        uvicorn.run(create_app(state), host=host, port=port, log_config=None, access_log=False)
    finally:
        if node is not None:
            thread, stop = node
            stop.set()
            thread.join(timeout=5)
    return 0


def _replay_archive(args: argparse.Namespace) -> int:
    if args.node_data_dir is None:
        print("hyperliquid-replay: --node-archive needs --node-data-dir", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print(f"hyperliquid-replay: --speed must be positive, got {args.speed}", file=sys.stderr)
        return 2
    speed = None if args.node_archive_fast else args.speed
    log.info("replaying %s into %s", args.node_archive, args.node_data_dir)
    try:
        summary = replay_archive(args.node_archive, args.node_data_dir, speed, args.node_archive_retime)
    except (OSError, RuntimeError) as exc:
        print(f"hyperliquid-replay: {args.node_archive}: {exc}", file=sys.stderr)
        return 1
    stream = summary.stream.value if summary.stream else "nothing"
    print(f"replayed {summary.lines} lines ({stream}), skipped {summary.skipped} malformed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
