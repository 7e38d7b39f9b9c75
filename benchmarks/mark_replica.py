"""How close the mark replica comes to the simulator's mark, in calm and in incidents: the figures
HyperliquidMarkFormulaDeviation's threshold is derived from (docs/alerts.md).

In process, no servers: every 10 scenario seconds the simulator's own metaAndAssetCtxs body is read by
the exporter's own parser (oracle, mark, mid), each perp venue's ticker by the exporter's perp parsers
and symbol map (each venue as it was at its own moment in the last 10 s, as the exporter polls them
independently), and the exporter's own tracker folds the read into its EMAs and gives the replica.
The first 150 s (the EMA's start-up) are left out of the figures. For each coin with a replica it
records |mark / replica - 1|, and the largest deviation held over 4 samples (the alert's `for: 30s`).

    PYTHONPATH=. .venv/bin/python -m benchmarks.mark_replica                  # calm and the incidents
    PYTHONPATH=. .venv/bin/python -m benchmarks.mark_replica --scenario calm --minutes 10
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict, deque
from collections.abc import Callable

from benchmarks.oracle_replica import percentile
from exporter.config import Config
from exporter.hyperliquid.market import parse_meta_and_asset_ctxs
from exporter.prices.mark_replica import MARK_EMA_SECONDS
from exporter.prices.mark_tracker import MarkTracker
from exporter.prices.market_prices import MarketPrices
from exporter.prices.perps import binance, bybit, gate, mexc, okx
from exporter.prices.quotes import Quotes
from exporter.prices.symbols import SymbolMap
from exporter.replay.clock import ScenarioClock
from exporter.replay.info_market import MarketBodies
from exporter.replay.perp_responses import PerpResponder
from exporter.replay.scenario import load_scenario
from exporter.replay.timeline import Timeline

SCENARIOS = (
    "calm",
    "usdt-depeg-2022-05",
    "usdc-depeg-2023-03-11",
    "venue-wide-crash",
    "cascade-2025-10-10",
    "jelly-2025-03-26",
)
STEP_SECONDS = 10.0
FOR_SAMPLES = 4
SKEW: dict[str, float] = {
    "binance_perp": 1.0,
    "okx_perp": 3.0,
    "bybit_perp": 5.0,
    "gate_perp": 7.0,
    "mexc_perp": 9.0,
}


class Clock(ScenarioClock):
    def __init__(self) -> None:
        super().__init__(monotonic=lambda: 0.0, wall=lambda: 1_760_000_000.0)
        self.at = 0.0

    def now(self) -> float:
        return self.at


def _quotes(responder: PerpResponder, source: str) -> Quotes:
    readers: dict[str, Callable[[], Quotes]] = {
        "binance_perp": lambda: binance.parse(responder.binance()[1]),
        "okx_perp": lambda: okx.parse(responder.okx()[1]),
        "bybit_perp": lambda: bybit.parse(responder.bybit()[1]),
        "gate_perp": lambda: gate.parse(responder.gate()[1]),
        "mexc_perp": lambda: mexc.parse(responder.mexc()[1]),
    }
    return readers[source]()


def run(name: str, minutes: float) -> dict[str, list[float]]:
    """Per measure, every (coin, sample) value of the run."""
    scenario = load_scenario(name)
    timeline = Timeline(scenario)
    clock = Clock()
    perps = PerpResponder(timeline.market, clock, scenario.seed)
    info = MarketBodies(timeline.market, clock)
    prices_config = Config().reference_prices
    symbols = SymbolMap(
        prices_config.symbols, [t.name for t in timeline.market.coins if t.spec.quote == "USDC"]
    )
    hyperps = [t.name for t in timeline.market.coins if t.spec.hyperp]
    tracker = MarkTracker(hyperps)
    coins = [t.name for t in timeline.market.coins if not t.dex]
    recent: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=FOR_SAMPLES))
    measures: dict[str, list[float]] = defaultdict(list)
    end = min(scenario.duration, minutes * 60)
    t = 0.0
    while t <= end:
        by_source = {}
        for source in SKEW:
            clock.at = max(t - SKEW[source], 0.0)
            by_source[source] = symbols.coin_prices(coins, _quotes(perps, source))
        clock.at = t
        market = MarketPrices.of(parse_meta_and_asset_ctxs(info.meta_and_asset_ctxs(t)), t)
        replicas = tracker.replicas(market, by_source)
        if t >= MARK_EMA_SECONDS:
            for coin, (replica, mark) in replicas.items():
                deviation = abs(mark / replica.price - 1)
                measures["abs_error"].append(deviation)
                measures["components"].append(float(len(replica.inputs)))
                held = recent[coin]
                held.append(deviation)
                if len(held) == FOR_SAMPLES:
                    measures["sustained"].append(min(held))
        t += STEP_SECONDS
    return measures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="scenario minutes per run (default 30)")
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    args = parser.parse_args()
    print(
        f"{'scenario':24} {'samples':>8} {'median |err|':>13} {'p99 |err|':>10} {'max |err|':>10} "
        f"{'held 30 s':>10} {'inputs':>7}"
    )
    for name in args.scenario or SCENARIOS:
        m = run(name, args.minutes)
        errors = m["abs_error"]
        print(
            f"{name:24} {len(errors):8d} {statistics.median(errors):13.6%} {percentile(errors, 0.99):10.4%} "
            f"{max(errors):10.4%} {max(m['sustained']):10.4%} {statistics.mean(m['components']):7.2f}"
        )


if __name__ == "__main__":
    main()
