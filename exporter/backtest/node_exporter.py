"""`hyperliquid-exporter` for a backtest of a node hour: the exporter itself, with the hour's coins listed
as the market poller lists every coin in production. That poller is off (a node hour holds no market
data), and without it a coin's counters would first go out at 0 only when its first event is read, and
count `node.new_series_hold_seconds` later.

    python -m exporter.backtest.node_exporter --listed-coins=AVAX,BTC --config.file=... [exporter flags]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from exporter.app import Exporter
from exporter.cli import main as exporter_main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--listed-coins", default="", help="comma-separated coins")
    ours, rest = parser.parse_known_args(argv)
    coins = [coin for coin in ours.listed_coins.split(",") if coin]

    def list_coins(exporter: Exporter) -> None:
        exporter.context.universe.publish(coins)

    return exporter_main(rest, prepare=list_coins)


if __name__ == "__main__":
    sys.exit(main())
