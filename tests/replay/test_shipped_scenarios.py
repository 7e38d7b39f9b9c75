"""Each shipped scenario loads and evolves as its file says, producing the signature the exporter must see."""

from __future__ import annotations

import statistics

import pytest

from exporter.prices import gate, kucoin, mexc
from exporter.replay.scenario import SCENARIOS_DIR, load_scenario, scenario_names
from tests.replay.support import HLP, HLP_LIQUIDATOR, LIQUIDATORS, Replay

SHIPPED = [
    "api-outage-2025-07-29",
    "calm",
    "cascade-2025-10-10",
    "cascade-heavy",
    "chain-freeze",
    "delisting-precursors",
    "eth-whale-2025-03-12",
    "governance-delist-vote",
    "hip3-deployer-halt",
    "hip3-oracle-walk",
    "hip3-sub-deployer-walk",
    "jelly-2025-03-26",
    "jelly-buildup",
    "margin-tier-change",
    "oracle-deviation",
    "popcat-buildup",
    "usdc-depeg-2023-03-11",
    "usdh-collateral-depeg",
    "usdt-depeg-2022-05",
    "venue-wide-crash",
    "watched-whale",
]


def mark(replay: Replay, coin: str) -> float:
    return float(replay.ctx(coin)[1]["markPx"])


def day_pnl(replay: Replay) -> float:
    details = replay.info({"type": "vaultDetails", "vaultAddress": HLP})
    windows = dict((name, body) for name, body in details["portfolio"])
    return float(windows["day"]["pnlHistory"][-1][1])


def liquidation_distance(replay: Replay, account: str, coin: str) -> float:
    position = replay.positions(account)[coin]
    return abs(float(position["liquidationPx"]) / mark(replay, coin) - 1)


def test_every_shipped_scenario_is_listed_and_says_what_it_encodes() -> None:
    assert scenario_names() == SHIPPED
    for name in SHIPPED:
        text = (SCENARIOS_DIR / f"{name}.yaml").read_text()
        assert text.startswith(f"# {name}:"), name
        assert load_scenario(name).name == name
    for name in ("cascade-2025-10-10", "eth-whale-2025-03-12", "jelly-2025-03-26"):
        assert "Figures encoded (incidents.md" in (SCENARIOS_DIR / f"{name}.yaml").read_text()


@pytest.mark.parametrize("name", SHIPPED)
def test_mainnet_like_universe(name: str) -> None:
    replay = Replay(name).at(1)
    meta, _ctxs = replay.info({"type": "metaAndAssetCtxs"})
    names = [entry["name"] for entry in meta["universe"]]
    assert 220 <= len(names) <= 245
    assert names[:3] == ["BTC", "ETH", "SOL"]
    assert {"HYPE", "kPEPE", "MEGA"} <= set(names)
    delisted = [entry["name"] for entry in meta["universe"] if entry.get("isDelisted")]
    assert len(delisted) >= 3
    mids = replay.info({"type": "allMids"})
    assert not set(delisted) & set(mids), "delisted coins have no mid"
    assert "MEGA" not in replay.reference_prices("MEGA"), "the hyperp has no reference price"


def test_kpepe_is_a_thousand_pepe_on_the_exchanges() -> None:
    replay = Replay("calm").at(5)
    prices = replay.reference_prices("kPEPE", exchange_symbol="PEPE", units=1000)
    assert set(prices) == {"binance", "okx", "bybit", "coinbase"}
    for price in prices.values():
        assert price == pytest.approx(mark(replay, "kPEPE"), rel=0.002)


def test_jelly_signature() -> None:
    replay = Replay("jelly-2025-03-26")
    before = replay.at(30)
    assert "JELLY" not in before.positions(HLP_LIQUIDATOR)
    start_mark = mark(before, "JELLY")
    assert before.info({"type": "perpsAtOpenInterestCap"}) == []

    taken = replay.at(41).positions(HLP_LIQUIDATOR)["JELLY"]
    assert float(taken["szi"]) < 0
    assert float(taken["positionValue"]) >= 4_000_000
    assert replay.info({"type": "perpsAtOpenInterestCap"}) == ["JELLY"]
    fills = replay.info({"type": "userFills", "user": HLP_LIQUIDATOR})
    assert fills[0]["liquidation"]["method"] == "backstop"
    assert fills[0]["dir"] == "Liquidated Cross Short"

    peak = replay.at(1545)
    assert float(peak.positions(HLP_LIQUIDATOR)["JELLY"]["unrealizedPnl"]) < -10_000_000
    assert mark(peak, "JELLY") > 4 * start_mark
    assert day_pnl(peak) < -10_000_000

    settled = replay.at(2701)
    entry, ctx = settled.ctx("JELLY")
    assert entry["isDelisted"] is True
    assert ctx["markPx"] == "0.0095"
    assert "JELLY" not in settled.positions(HLP_LIQUIDATOR)
    assert settled.info({"type": "perpsAtOpenInterestCap"}) == []
    assert "JELLY" not in settled.info({"type": "allMids"})
    assert day_pnl(settled) == pytest.approx(700_000, rel=0.01)


def test_cascade_signature() -> None:
    replay = Replay("cascade-2025-10-10")
    calm_ctx = replay.at(30).ctx_by_coin()
    minute_later = replay.at(90).ctx_by_coin()
    listed = [coin for coin, ctx in calm_ctx.items() if float(ctx["openInterest"]) > 0 and coin != "MEGA"]
    oi_falls = [
        coin
        for coin in listed
        if float(minute_later[coin]["openInterest"]) < 0.95 * float(calm_ctx[coin]["openInterest"])
    ]
    price_falls = [
        coin for coin in listed if float(minute_later[coin]["markPx"]) < float(calm_ctx[coin]["markPx"])
    ]
    assert len(oi_falls) > 0.9 * len(listed), "open interest falls more than 5% in a minute nearly everywhere"
    assert len(price_falls) > 0.9 * len(listed)
    assert float(minute_later["BTC"]["markPx"]) < float(calm_ctx["BTC"]["markPx"])

    at_200 = replay.at(200)
    for liquidator in LIQUIDATORS[1:]:
        fills = at_200.info({"type": "userFills", "user": liquidator})
        assert any(fill.get("liquidation", {}).get("method") == "backstop" for fill in fills), liquidator
    # ADL as recorded: the liquidator's own inventory closed by fills naming itself (the deleveraged
    # counterparties carry the Auto-Deleveraging fills).
    own = at_200.info({"type": "userFills", "user": HLP_LIQUIDATOR})
    adl = [fill for fill in own if fill.get("liquidation", {}).get("liquidatedUser") == HLP_LIQUIDATOR]
    assert adl
    assert all(fill["dir"].startswith("Liquidated Cross") for fill in adl)
    assert all(fill["liquidation"]["method"] == "backstop" for fill in adl)
    assert not [fill for fill in own if fill["dir"] == "Auto-Deleveraging"]
    assert replay.at(93).info({"type": "userFills", "user": HLP_LIQUIDATOR}) == [], (
        "first ADL ~64 s after the start"
    )

    end = replay.at(1530)
    assert float(end.ctx("BTC")[1]["markPx"]) == pytest.approx(104_782 * 0.996, rel=0.003)
    assert float(end.ctx("ETH")[1]["markPx"]) == pytest.approx(3_436 * 0.996, rel=0.003)
    assert day_pnl(replay.at(2400)) > 35_000_000


def test_eth_whale_signature() -> None:
    replay = Replay("eth-whale-2025-03-12")
    whale = "0xf3f496c9486be5924a93d67e98298733bb47057c"
    assert liquidation_distance(replay.at(5), whale, "ETH") > 0.05
    assert liquidation_distance(replay.at(30), whale, "ETH") < 0.02
    assert float(replay.at(30).positions(whale)["ETH"]["positionValue"]) > 300_000_000
    assert "ETH" not in replay.at(40).positions(HLP_LIQUIDATOR)

    taken = replay.at(46).positions(HLP_LIQUIDATOR)["ETH"]
    assert float(taken["positionValue"]) == pytest.approx(306_000_000, rel=0.02)
    assert taken["entryPx"] == "1915.0"
    assert replay.positions(whale) == {}
    fills = replay.info({"type": "userFills", "user": HLP_LIQUIDATOR})
    assert fills[0]["liquidation"] == {
        "liquidatedUser": whale,
        "markPx": fills[0]["liquidation"]["markPx"],
        "method": "backstop",
    }

    unwound = replay.at(1900)
    assert "ETH" not in unwound.positions(HLP_LIQUIDATOR)
    assert mark(unwound, "ETH") < 1896.7
    assert day_pnl(unwound) == pytest.approx(-4_000_000, rel=0.05)


def test_oracle_deviation_signature() -> None:
    replay = Replay("oracle-deviation")
    start = replay.at(10)
    for coin in ("SOL", "HYPE", "BTC"):
        oracle = float(start.ctx(coin)[1]["oraclePx"])
        assert oracle == pytest.approx(start.reference_median(coin), rel=0.002), coin
    drifted = replay.at(200)
    sol_oracle = float(drifted.ctx("SOL")[1]["oraclePx"])
    assert sol_oracle / drifted.reference_median("SOL") - 1 > 0.015
    hype_oracle = float(drifted.ctx("HYPE")[1]["oraclePx"])
    assert hype_oracle / drifted.reference_median("HYPE") - 1 < -0.01
    # The local USDC/USDT wobble on Binance moves its USDC pair, not its USDT quotes.
    btc = drifted.reference_prices("BTC")
    assert "bybit" not in btc, "Bybit is down in this window"
    assert max(btc.values()) / min(btc.values()) - 1 < 0.001
    assert float(drifted.ctx("BTC")[1]["oraclePx"]) == pytest.approx(
        statistics.median(btc.values()), rel=0.002
    )


def test_watched_whale_signature() -> None:
    replay = Replay("watched-whale")
    whale = "0x5eed00000000000000000000000000000000a001"
    distances = [liquidation_distance(replay.at(t), whale, "BTC") for t in (10, 330, 630, 930)]
    assert distances[0] > 0.1
    assert distances == sorted(distances, reverse=True)
    assert distances[-1] < 0.02
    assert float(replay.at(930).positions(whale)["BTC"]["szi"]) == 400, "never liquidated"
    assert liquidation_distance(replay.at(2200), whale, "BTC") > 0.08


def test_calm_has_nothing_to_alert_on() -> None:
    replay = Replay("calm")
    first = replay.at(60).ctx_by_coin()
    later = replay.at(120).ctx_by_coin()
    for coin, ctx in first.items():
        if float(ctx["openInterest"]) > 0:
            change = float(later[coin]["openInterest"]) / float(ctx["openInterest"]) - 1
            assert abs(change) < 0.01, coin
            assert abs(float(later[coin]["markPx"]) / float(ctx["markPx"]) - 1) < 0.01, coin
    for t in (30, 600, 1800, 3500):
        replay.at(t)
        # small markets at their caps, as on ordinary days: under $50M of open interest, HLP's SEI book
        # under $1M, no watched account in them
        assert sorted(replay.info({"type": "perpsAtOpenInterestCap"})) == ["CRV", "LDO", "SEI"]
        for coin in ("CRV", "SEI", "LDO"):
            ctx = replay.ctx(coin)[1]
            assert float(ctx["openInterest"]) * float(ctx["markPx"]) < 50_000_000, coin
        sei = replay.positions("0x469f690213c467c39a23efacfd2816896009d7d8")["SEI"]
        assert float(sei["positionValue"]) < 1_000_000
        for coin in ("BTC", "ETH", "SOL", "HYPE"):
            oracle = float(replay.ctx(coin)[1]["oraclePx"])
            assert oracle == pytest.approx(replay.reference_median(coin), rel=0.003)
        for liquidator in LIQUIDATORS:
            assert replay.info({"type": "userFills", "user": liquidator}) == []
            assert replay.positions(liquidator) == {}
        for watched in (
            "0x5eed000000000000000000000000000000000001",
            "0x5eed000000000000000000000000000000000002",
        ):
            for coin, position in replay.positions(watched).items():
                assert liquidation_distance(replay, watched, coin) > 0.1, (watched, position)
    strategy_fills = replay.info({"type": "userFills", "user": "0x010461c14e146ac35fe42271bdc1134ee31c703a"})
    assert strategy_fills
    assert not any("liquidation" in fill for fill in strategy_fills)
    assert abs(day_pnl(replay)) < 1_000_000


def test_delisting_precursors_signature() -> None:
    replay = Replay("delisting-precursors")
    strategy = "0x010461c14e146ac35fe42271bdc1134ee31c703a"

    def dlx_meta() -> dict[str, object]:
        meta, _ctxs = replay.info({"type": "metaAndAssetCtxs"})
        return next(entry for entry in meta["universe"] if entry["name"] == "DLX")

    replay.at(100)
    assert dlx_meta() == {"szDecimals": 0, "name": "DLX", "maxLeverage": 5, "marginTableId": 5}
    held = float(replay.positions(strategy)["DLX"]["positionValue"])
    assert 1_000_000 < held < 2_000_000
    assert held < 0.05 * float(replay.ctx("DLX")[1]["openInterest"]) * mark(replay, "DLX")
    replay.at(175)
    assert (dlx_meta()["marginMode"], dlx_meta()["onlyIsolated"], dlx_meta()["maxLeverage"]) == (
        "strictIsolated",
        True,
        5,
    )
    replay.at(225)
    assert dlx_meta()["maxLeverage"] == 3
    assert replay.info({"type": "perpsAtOpenInterestCap"}) == []
    replay.at(275)
    assert replay.info({"type": "perpsAtOpenInterestCap"}) == ["DLX"]
    assert "DLX" in replay.positions(strategy)
    replay.at(310)
    assert dlx_meta().get("isDelisted") is True
    assert replay.info({"type": "perpsAtOpenInterestCap"}) == []
    assert "DLX" not in replay.positions(strategy), "the delisting settles and closes the position"
    assert mark(replay, "DLX") == pytest.approx(0.45)


def test_hyperp_oracle_lags_its_own_mark() -> None:
    replay = Replay("oracle-deviation")
    before = replay.at(30).ctx("MEGA")[1]
    assert float(before["oraclePx"]) == pytest.approx(float(before["markPx"]), rel=0.001)
    pumped = replay.at(700).ctx("MEGA")[1]
    assert float(pumped["markPx"]) == pytest.approx(1.3 * float(before["markPx"]), rel=0.002)
    oracle = float(pumped["oraclePx"])
    assert float(before["oraclePx"]) < oracle < float(pumped["markPx"]) * 0.99, (
        "oracle follows the mark, slowly"
    )
    assert replay.reference_prices("MEGA") == {}


@pytest.mark.parametrize(
    ("name", "coin", "external_volume_usd"),
    [("jelly-buildup", "JELLY", 0.0), ("popcat-buildup", "POPCAT", 10_000_000.0)],
)
def test_build_ups_grow_open_interest_in_a_thin_market_before_the_takeover(
    name: str, coin: str, external_volume_usd: float
) -> None:
    """The radar's inputs: open interest in USD at least doubles within 10 minutes, ends over a day of
    the coin's external volume, and the HLP Liquidator holds nothing of it until the backstop."""
    replay = Replay(name)

    def oi_usd(t: float) -> float:
        _, ctx = replay.at(t).ctx(coin)
        return float(ctx["openInterest"]) * float(ctx["markPx"])

    assert oi_usd(600) >= 2 * oi_usd(0)
    assert oi_usd(1500) > max(external_volume_usd, 100_000.0)
    assert coin not in replay.at(1500).positions(HLP_LIQUIDATOR)
    assert coin in replay.at(1900).positions(HLP_LIQUIDATOR)
    listed = {
        module.SOURCE: module.parse(replay.at(600).client.get(path).json()).volume(coin, "USDT")
        for module, path in (
            (kucoin, "/api/v1/market/allTickers"),
            (gate, "/api/v4/spot/tickers"),
            (mexc, "/api/v3/ticker/24hr"),
        )
    }
    assert sum(volume or 0.0 for volume in listed.values()) == pytest.approx(
        external_volume_usd * 3 / 4, rel=0.01
    )
