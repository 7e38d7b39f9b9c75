"""How close the oracle replica comes to the simulator's oracle, and how far it strays in calm and in
the incidents that must not read as oracle deviation: the figures HyperliquidOracleDeviation's
thresholds are derived from (docs/alerts.md).

In process, no servers: every 10 scenario seconds each source's ticker is built by the simulator's own
responders, read by the exporter's own parsers and symbol map, each source as it was at its own moment
in the last 10 s (the exporter polls them independently), and the replica is compared with the
simulator's oracle. For each coin with a replica it records |oracle / replica - 1| and the part of it
that the replica's own move over the last minute does not explain (what the rules alert on), and the
largest such part held for 30 s (the alerts' `for`). The old
check, the unweighted median of Binance, OKX, Bybit and Coinbase, is printed alongside.

    PYTHONPATH=. .venv/bin/python -m benchmarks.oracle_replica                 # every scenario below
    PYTHONPATH=. .venv/bin/python -m benchmarks.oracle_replica --minutes 10    # a shorter window
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict, deque
from collections.abc import Callable

from exporter.config import Config
from exporter.prices import binance, bybit, gate, kraken, kucoin, mexc, okx
from exporter.prices.oracle_replica import Exclusions, replicate
from exporter.prices.quotes import Quotes
from exporter.prices.symbols import SymbolMap
from exporter.replay.clock import ScenarioClock
from exporter.replay.exchange_responses import ExchangeResponder
from exporter.replay.info_market import MarketBodies
from exporter.replay.scenario import load_scenario
from exporter.replay.timeline import Timeline

SCENARIOS = (
    "calm",
    "usdt-depeg-2022-05",
    "usdc-depeg-2023-03-11",
    "venue-wide-crash",
    "cascade-2025-10-10",
    "oracle-deviation",
)
STEP_SECONDS = 10.0
MOVE_WINDOW_SECONDS = 60.0
# The alerts' `for: 30s`: a deviation counts only if it holds over this many consecutive samples.
FOR_SAMPLES = 4
# Each source is read this many seconds before the sample (the exporter polls them independently).
SKEW: dict[str, float] = {
    "binance": 0.0,
    "okx": 1.5,
    "bybit": 3.0,
    "kraken": 4.5,
    "kucoin": 6.0,
    "gate": 7.5,
    "mexc": 9.0,
    "hyperliquid_spot": 5.0,
    "coinbase": 8.0,
}


class Clock(ScenarioClock):
    def __init__(self) -> None:
        super().__init__(monotonic=lambda: 0.0, wall=lambda: 1_760_000_000.0)
        self.at = 0.0

    def now(self) -> float:
        return self.at


def _quotes(responder: ExchangeResponder, source: str) -> Quotes:
    readers: dict[str, Callable[[], Quotes]] = {
        "binance": lambda: binance.parse(responder.binance(None)[1]),
        "okx": lambda: okx.parse(responder.okx("SPOT")[1]),
        "bybit": lambda: bybit.parse(responder.bybit("spot")[1]),
        "kraken": lambda: kraken.parse(responder.kraken()[1]),
        "kucoin": lambda: kucoin.parse(responder.kucoin()[1]),
        "gate": lambda: gate.parse(responder.gate()[1]),
        "mexc": lambda: mexc.parse(responder.mexc()[1]),
    }
    return readers[source]()


def run(name: str, minutes: float) -> dict[str, list[float]]:
    """Per measure, every (coin, sample) value of the run."""
    scenario = load_scenario(name)
    timeline = Timeline(scenario)
    clock = Clock()
    responder = ExchangeResponder(timeline.market, clock, scenario.seed)
    info = MarketBodies(timeline.market, clock)
    prices_config = Config().reference_prices
    symbols = SymbolMap(
        prices_config.symbols, [t.name for t in timeline.market.coins if t.spec.quote == "USDC"]
    )
    exclusions = Exclusions(
        prices_config.oracle_replica.native_coins, prices_config.oracle_replica.without_spot_coins
    )
    tracks = [t for t in timeline.market.coins if not t.dex and not t.spec.hyperp]
    coins = [t.name for t in tracks]
    spot_pairs = {t.name: t.spec.spot_pair for t in tracks if t.spec.spot_pair}
    history: dict[str, deque[tuple[float, float]]] = defaultdict(deque)
    recent: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=FOR_SAMPLES))
    measures: dict[str, list[float]] = defaultdict(list)
    end = min(scenario.duration, minutes * 60)
    t = MOVE_WINDOW_SECONDS
    while t <= end:
        by_source: dict[str, dict[str, float]] = {}
        for source in ("binance", "okx", "bybit", "kraken", "kucoin", "gate", "mexc"):
            clock.at = t - SKEW[source]
            if responder.outage(source) is None:
                by_source[source] = symbols.coin_prices(coins, _quotes(responder, source))
        mids = info.all_mids(t - SKEW["hyperliquid_spot"])
        by_source["hyperliquid_spot"] = {
            coin: float(mids[pair]) for coin, pair in spot_pairs.items() if pair in mids
        }
        clock.at = t
        replicas = replicate(by_source, coins, exclusions)
        old_sources = [by_source.get(source, {}) for source in ("binance", "okx", "bybit")]
        for track in tracks:
            replica = replicas.get(track.name)
            if replica is None or track.is_delisted(t):
                continue
            oracle = timeline.market.oracle_price(track, t)
            deviation = oracle / replica.price - 1
            window = history[track.name]
            window.append((t, replica.price))
            while window[0][0] < t - MOVE_WINDOW_SECONDS:
                window.popleft()
            values = [price for _, price in window]
            move = (max(values) - min(values)) / replica.price
            unexplained = max(abs(deviation) - move, 0.0)
            measures["abs_error"].append(abs(deviation))
            measures["unexplained"].append(unexplained)
            held = recent[track.name]
            held.append(unexplained)
            if len(held) == FOR_SAMPLES:
                measures["sustained"].append(min(held))
            old = [table[track.name] for table in old_sources if track.name in table]
            if len(old) >= 2:
                measures["old_abs_error"].append(abs(oracle / statistics.median(old) - 1))
            if name == "oracle-deviation" and track.name in ("SOL", "HYPE") and 300 <= t <= 1200:
                measures["injected_unexplained"].append(unexplained)
        t += STEP_SECONDS
    return measures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="scenario minutes per run (default 30)")
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    args = parser.parse_args()
    print(
        f"{'scenario':24} {'samples':>8} {'median |err|':>13} {'p99 |err|':>10} {'max |err|':>10} "
        f"{'max unexpl.':>11} {'held 30 s':>10} {'old median':>11}"
    )
    for name in args.scenario or SCENARIOS:
        m = run(name, args.minutes)
        errors = m["abs_error"]
        print(
            f"{name:24} {len(errors):8d} {statistics.median(errors):13.6%} {percentile(errors, 0.99):10.4%} "
            f"{max(errors):10.4%} {max(m['unexplained']):11.4%} {max(m['sustained']):10.4%} "
            f"{statistics.median(m['old_abs_error']):11.6%}"
        )
        if m["injected_unexplained"]:
            floor = min(m["injected_unexplained"])
            print(f"{'':24} injected SOL/HYPE drift, 300-1200 s: min unexplained {floor:.4%}")


if __name__ == "__main__":
    main()
