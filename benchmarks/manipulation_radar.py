"""When the manipulation radar's conditions first hold in each scenario, straight from the simulator's
market model (no servers): open interest >= $2M, >= 1.5x its lowest of the last 30 minutes, and more
than a day of external volume (the sources whose tickers carry volume; none counts as $100k). The
rule adds its `for: 2m`. Build-ups must show well before their takeover; the others not at all.

    PYTHONPATH=. .venv/bin/python -m benchmarks.manipulation_radar
"""

from __future__ import annotations

import argparse

from exporter.replay.scenario import load_scenario
from exporter.replay.timeline import Timeline

SCENARIOS = (
    "calm",
    "usdt-depeg-2022-05",
    "usdc-depeg-2023-03-11",
    "venue-wide-crash",
    "cascade-2025-10-10",
    "eth-whale-2025-03-12",
    "oracle-deviation",
    "jelly-buildup",
    "popcat-buildup",
)
# Sources whose tickers carry a 24-hour volume (not Binance's price ticker, not Coinbase).
VOLUME_SOURCES = frozenset({"okx", "bybit", "kraken", "kucoin", "gate", "mexc"})
STEP_SECONDS = 60
WINDOW_STEPS = 30


def first_hits(name: str) -> dict[str, int]:
    scenario = load_scenario(name)
    market = Timeline(scenario).market
    hits: dict[str, int] = {}
    for track in market.coins:
        if track.dex or track.spec.hyperp:
            continue
        history: list[float] = []
        for t in range(0, int(min(scenario.duration, 3600)) + 1, STEP_SECONDS):
            quote = market.quote(track, float(t))
            open_interest = quote.open_interest * quote.mark
            history.append(open_interest)
            lowest = min(history[-(WINDOW_STEPS + 1) :])
            volume = track.paths["external_volume_usd"].value_at(t) * len(
                VOLUME_SOURCES & set(track.listed_on)
            )
            if open_interest >= 2e6 and open_interest >= 1.5 * lowest and open_interest >= max(volume, 1e5):
                hits.setdefault(track.name, t)
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    for name in parser.parse_args().scenario or SCENARIOS:
        hits = first_hits(name)
        shown = ", ".join(f"{coin} from {t} s" for coin, t in sorted(hits.items())) or "never"
        print(f"{name:24} {shown}")


if __name__ == "__main__":
    main()
