"""The oracle replica: Hyperliquid's weighted median of its sources, with the documented exclusions."""

from __future__ import annotations

import pytest

from exporter.prices.latest import LatestPrices
from exporter.prices.oracle_replica import Exclusions, replicate, weighted_median


def test_weighted_median_follows_the_weights() -> None:
    # Binance's weight 3 alone is not half of 3+2+2+1: the median is the next price up.
    assert weighted_median([(100.0, 3.0), (101.0, 2.0), (102.0, 2.0), (103.0, 1.0)]) == 101.0
    # Binance with 3 of 5 decides alone.
    assert weighted_median([(100.0, 3.0), (110.0, 1.0), (120.0, 1.0)]) == 100.0
    # Exactly half on either side: the mean of the two middle prices.
    assert weighted_median([(100.0, 1.0), (102.0, 1.0)]) == 101.0
    assert weighted_median([(5.0, 1.0)]) == 5.0
    with pytest.raises(ValueError, match="nothing"):
        weighted_median([])


def test_one_manipulated_small_source_cannot_move_the_replica() -> None:
    prices = {
        "binance": {"X": 1.00},
        "okx": {"X": 1.001},
        "bybit": {"X": 0.999},
        "mexc": {"X": 1.50},  # a thin book pushed 50% up
        "gate": {"X": 1.40},
    }
    replica = replicate(prices, ["X"], Exclusions())["X"]
    assert replica.price == 1.00
    assert replica.weights == {"binance": 3.0, "okx": 2.0, "bybit": 2.0, "gate": 1.0, "mexc": 1.0}


def test_exclusions_and_sources_outside_the_oracle() -> None:
    prices = {
        "binance": {"BTC": 100.0, "PURR": 0.30},
        "hyperliquid_spot": {"BTC": 90.0, "PURR": 0.20, "HYPE": 30.0},
        "coinbase": {"BTC": 50.0, "HYPE": 1.0},
    }
    exclusions = Exclusions(native=["PURR"], without_spot=["BTC"])
    replicas = replicate(prices, ["BTC", "PURR", "HYPE", "NONE"], exclusions)
    assert replicas["BTC"].price == 100.0
    assert set(replicas["BTC"].weights) == {"binance"}
    assert replicas["PURR"].price == 0.20
    assert set(replicas["PURR"].weights) == {"hyperliquid_spot"}
    assert replicas["HYPE"].price == 30.0  # Coinbase is no source of the oracle
    assert "NONE" not in replicas


def test_latest_prices_forget_failed_and_stale_sources() -> None:
    latest = LatestPrices()
    latest.record("binance", {"BTC": 1.0}, at=100.0, max_age=30.0)
    latest.record("okx", {"BTC": 2.0}, at=80.0, max_age=30.0)
    assert set(latest.fresh(105.0)) == {"binance", "okx"}
    assert set(latest.fresh(115.0)) == {"binance"}  # okx's last answer is 35 s old
    latest.forget("binance")
    assert latest.fresh(105.0) == {"okx": {"BTC": 2.0}}
