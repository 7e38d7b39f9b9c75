"""The mark formula replicated (exporter/prices/mark_replica.py, ema.py, mark_tracker.py), and the
book-depth coins that matter including the coins HLP or a watched account holds."""

from __future__ import annotations

import math

import pytest

from exporter.collectors.book_depth import coins_that_matter
from exporter.config import BookDepthConfig
from exporter.prices.ema import TimeWeightedEma
from exporter.prices.mark_replica import perp_mid, replicate_mark
from exporter.prices.mark_tracker import MarkTracker
from exporter.prices.market_prices import CoinPrices, MarketPrices


def test_the_ema_is_hyperliquids_numerator_over_denominator() -> None:
    ema = TimeWeightedEma(150.0)
    assert ema.update(2.0, 100.0) == pytest.approx(2.0)  # the first sample is the EMA
    value = ema.update(4.0, 110.0)
    # numerator 2*1e-9*exp(-10/150) + 4*10, denominator 1e-9*exp(-10/150) + 10
    assert value == pytest.approx(4.0, rel=1e-9)
    third = ema.update(0.0, 160.0)
    decay = math.exp(-50 / 150)
    assert third == pytest.approx((40 * decay) / (10 * decay + 50))
    assert ema.update(9.0, 160.0) == third  # a sample not after the last is ignored
    assert not ema.warmed_up(200.0)
    assert ema.warmed_up(250.0)


def test_the_perp_component_is_the_weighted_median_of_the_venues() -> None:
    by_source = {
        "binance_perp": {"BTC": 100.0},
        "okx_perp": {"BTC": 101.0},
        "bybit_perp": {"BTC": 102.0},
        "gate_perp": {"BTC": 103.0},
        "mexc_perp": {"BTC": 104.0},
        "binance": {"BTC": 50.0},  # a spot source is not a perp venue
    }
    mid, weights = perp_mid(by_source, "BTC") or (0.0, {})
    assert mid == 101.0  # weights 3, 2, 2, 1, 1: half of 9 is reached at OKX
    assert weights == {
        "binance_perp": 3.0,
        "okx_perp": 2.0,
        "bybit_perp": 2.0,
        "gate_perp": 1.0,
        "mexc_perp": 1.0,
    }
    assert perp_mid(by_source, "JELLY") is None


def test_the_replica_is_the_median_of_what_exists() -> None:
    three = replicate_mark({"oracle_ema": 100.0, "book": 103.0, "perps": 101.0}, book_ema=99.0)
    assert three is not None
    assert three.price == 101.0
    assert set(three.inputs) == {"oracle_ema", "book", "perps"}  # no book EMA with three components
    two = replicate_mark({"oracle_ema": 100.0, "book": 103.0}, book_ema=102.0)
    assert two is not None
    assert two.price == 102.0  # the 30 s book EMA joins when exactly two exist
    assert replicate_mark({"book": 103.0}, book_ema=102.0) is None  # one component is not the formula


def market(at: float, oracle: float, mark: float, mid: float | None) -> MarketPrices:
    return MarketPrices(at, {"BTC": CoinPrices(oracle, mark, mid), "MEGA": CoinPrices(1.0, 1.0, 1.0)})


def test_the_tracker_adds_the_oracle_ema_once_it_has_run_150_s() -> None:
    tracker = MarkTracker(skipped=["MEGA"])
    perps = {"binance_perp": {"BTC": 100.0}}
    early = tracker.replicas(market(0.0, 100.0, 100.2, 100.2), perps)
    assert set(early["BTC"][0].inputs) == {"book", "perps"}  # no EMA yet; book EMA not warmed up either
    assert "MEGA" not in early  # a hyperp: its own formula
    for step in range(1, 17):
        replicas = tracker.replicas(market(step * 10.0, 100.0, 100.2, 100.2), perps)
    replica, mark = replicas["BTC"]
    assert set(replica.inputs) == {"oracle_ema", "book", "perps"}
    assert replica.inputs["oracle_ema"] == pytest.approx(100.2)
    assert replica.price == pytest.approx(100.2)
    assert mark == 100.2


def test_a_coin_without_a_mid_keeps_its_other_components() -> None:
    tracker = MarkTracker()
    replicas = tracker.replicas(market(0.0, 100.0, 100.0, None), {"okx_perp": {"BTC": 100.1}})
    assert "BTC" not in replicas  # perps alone: no replica, never a made-up one


def test_coins_held_by_hlp_or_watched_accounts_come_first_among_the_automatic_picks() -> None:
    sizes = {
        "BTC": (5e9, 1e9),
        "THIN": (5e6, 1e5),
        "JELLY": (4e6, 3e5),
        "HELD": (1e5, 1e6),  # far below min_open_interest_usd, but held
        "xyz:TSLA": (9e6, 1e5),
    }
    config = BookDepthConfig(coins=["BTC"], max_auto_coins=2)
    assert coins_that_matter(config, sizes, held={"HELD", "xyz:TSLA", "GONE"}) == ["BTC", "HELD", "THIN"]
    assert coins_that_matter(config, sizes) == ["BTC", "THIN", "JELLY"]
    assert coins_that_matter(BookDepthConfig(max_auto_coins=0), sizes, held={"HELD"}) == []
