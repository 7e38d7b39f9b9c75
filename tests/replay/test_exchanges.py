"""The four reference exchanges' endpoints, in the shapes of the shared contract."""

from __future__ import annotations

import pytest

from tests.replay.support import Replay


@pytest.fixture(scope="module")
def replay() -> Replay:
    return Replay("calm").at(15)


def test_binance_all_symbols_and_one_symbol(replay: Replay) -> None:
    tickers = replay.client.get("/api/v3/ticker/price").json()
    table = {row["symbol"]: row["price"] for row in tickers}
    assert set(tickers[0]) == {"symbol", "price"}
    assert {"BTCUSDT", "ETHUSDT", "USDCUSDT", "PEPEUSDT"} <= set(table)
    assert all(isinstance(price, str) for price in table.values())
    one = replay.client.get("/api/v3/ticker/price", params={"symbol": "ETHUSDT"}).json()
    assert one == {"symbol": "ETHUSDT", "price": table["ETHUSDT"]}
    assert replay.client.get("/api/v3/ticker/price", params={"symbol": "NOPEUSDT"}).status_code == 400


def test_okx_spot_tickers(replay: Replay) -> None:
    body = replay.client.get("/api/v5/market/tickers", params={"instType": "SPOT"}).json()
    assert body["code"] == "0"
    assert body["msg"] == ""
    ids = {row["instId"] for row in body["data"]}
    assert {"BTC-USDT", "USDC-USDT", "HYPE-USDT"} <= ids
    assert all(isinstance(row["last"], str) for row in body["data"])
    wrong = replay.client.get("/api/v5/market/tickers", params={"instType": "SWAP"}).json()
    assert wrong["code"] != "0"


def test_bybit_spot_tickers(replay: Replay) -> None:
    body = replay.client.get("/v5/market/tickers", params={"category": "spot"}).json()
    assert body["retCode"] == 0
    assert body["retMsg"] == "OK"
    assert body["result"]["category"] == "spot"
    symbols = {row["symbol"]: row["lastPrice"] for row in body["result"]["list"]}
    assert {"BTCUSDT", "USDCUSDT", "HYPEUSDT"} <= set(symbols)
    assert replay.client.get("/v5/market/tickers", params={"category": "linear"}).json()["retCode"] != 0


def test_coinbase_spot_price(replay: Replay) -> None:
    body = replay.client.get("/v2/prices/BTC-USD/spot").json()
    assert set(body["data"]) == {"amount", "base", "currency"}
    assert body["data"]["base"] == "BTC"
    assert body["data"]["currency"] == "USD"
    assert replay.client.get("/v2/prices/HYPE-USD/spot").status_code == 404


def test_every_exchange_agrees_with_the_oracle_in_usd(replay: Replay) -> None:
    prices = replay.reference_usd("ETH")
    assert set(prices) == {"binance", "okx", "bybit", "coinbase"}
    oracle = float(replay.ctx("ETH")[1]["oraclePx"])
    for price in prices.values():
        assert price == pytest.approx(oracle, rel=0.001)


def test_stablecoin_wobble_moves_usdt_quotes_not_usd_prices() -> None:
    replay = Replay("oracle-deviation")
    calm = {
        row["symbol"]: float(row["price"]) for row in replay.at(10).client.get("/api/v3/ticker/price").json()
    }
    usd_before = replay.reference_usd("BTC")["binance"]
    wobbled = {
        row["symbol"]: float(row["price"]) for row in replay.at(60).client.get("/api/v3/ticker/price").json()
    }
    assert wobbled["USDCUSDT"] == pytest.approx(0.9975)
    assert wobbled["BTCUSDT"] / calm["BTCUSDT"] == pytest.approx(0.9975 / 1.0001, rel=0.001)
    assert replay.reference_usd("BTC")["binance"] == pytest.approx(usd_before, rel=0.001)
