"""The reference exchanges' endpoints, in the shapes of the shared contract and of their public docs."""

from __future__ import annotations

import pytest

from exporter.prices import gate, kraken, kucoin, mexc, okx
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
    # SWAP is served too (tests/replay/test_perp_tickers.py); other instrument types are not.
    wrong = replay.client.get("/api/v5/market/tickers", params={"instType": "FUTURES"}).json()
    assert wrong["code"] != "0"


def test_bybit_spot_tickers(replay: Replay) -> None:
    body = replay.client.get("/v5/market/tickers", params={"category": "spot"}).json()
    assert body["retCode"] == 0
    assert body["retMsg"] == "OK"
    assert body["result"]["category"] == "spot"
    symbols = {row["symbol"]: row["lastPrice"] for row in body["result"]["list"]}
    assert {"BTCUSDT", "USDCUSDT", "HYPEUSDT"} <= set(symbols)
    # linear is served too (tests/replay/test_perp_tickers.py); other categories are not.
    assert replay.client.get("/v5/market/tickers", params={"category": "inverse"}).json()["retCode"] != 0


def test_coinbase_spot_price(replay: Replay) -> None:
    body = replay.client.get("/v2/prices/BTC-USD/spot").json()
    assert set(body["data"]) == {"amount", "base", "currency"}
    assert body["data"]["base"] == "BTC"
    assert body["data"]["currency"] == "USD"
    assert replay.client.get("/v2/prices/HYPE-USD/spot").status_code == 404


def test_every_exchange_agrees_with_the_oracle_in_usd(replay: Replay) -> None:
    prices = replay.reference_prices("ETH")
    assert set(prices) == {"binance", "okx", "bybit", "coinbase"}
    oracle = float(replay.ctx("ETH")[1]["oraclePx"])
    for price in prices.values():
        assert price == pytest.approx(oracle, rel=0.001)


def test_a_local_usdc_usdt_wobble_moves_the_usdc_pair_not_usdt_quotes() -> None:
    replay = Replay("oracle-deviation")
    calm = {
        row["symbol"]: float(row["price"]) for row in replay.at(10).client.get("/api/v3/ticker/price").json()
    }
    wobbled = {
        row["symbol"]: float(row["price"]) for row in replay.at(60).client.get("/api/v3/ticker/price").json()
    }
    assert wobbled["USDCUSDT"] == pytest.approx(0.9975)
    assert wobbled["BTCUSDT"] == pytest.approx(calm["BTCUSDT"], rel=0.002)  # only the wiggle


def test_a_usdt_depeg_moves_usdt_quotes_and_the_usdt_oracle_together() -> None:
    replay = Replay("usdt-depeg-2022-05")
    before, during = replay.at(30), None
    btc_before = before.reference_prices("BTC")
    oracle_before = float(before.ctx("BTC")[1]["oraclePx"])
    during = replay.at(400)
    assert during.client.get("/v2/prices/USDT-USD/spot").json()["data"]["amount"] == "0.97"
    okx = {
        row["instId"]: float(row["last"])
        for row in during.client.get("/api/v5/market/tickers", params={"instType": "SPOT"}).json()["data"]
    }
    assert okx["USDC-USDT"] == pytest.approx(1.0001 / 0.97, rel=1e-4)
    btc_during = during.reference_prices("BTC")
    oracle_during = float(during.ctx("BTC")[1]["oraclePx"])
    assert btc_during["okx"] / btc_before["okx"] == pytest.approx(1 / 0.97, rel=0.003)
    assert oracle_during / oracle_before == pytest.approx(1 / 0.97, rel=0.003)
    for price in btc_during.values():  # Coinbase's USD price ÷ USDT-USD lands on the USDT oracle too
        assert price == pytest.approx(oracle_during, rel=0.002)


def test_a_usdc_depeg_leaves_usdt_oracles_and_moves_the_usdc_denominated_one() -> None:
    replay = Replay("usdc-depeg-2023-03-11").at(1200)
    rates = {row["symbol"]: float(row["price"]) for row in replay.client.get("/api/v3/ticker/price").json()}
    assert rates["USDCUSDT"] == pytest.approx(0.88 * 1.0001, rel=1e-4)
    btc_oracle = float(replay.ctx("BTC")[1]["oraclePx"])
    assert btc_oracle == pytest.approx(replay.reference_median("BTC"), rel=0.002)
    hype_oracle = float(replay.ctx("HYPE")[1]["oraclePx"])
    hype_in_usdc = replay.reference_prices("HYPE", quote="USDC")
    assert set(hype_in_usdc) == {"okx", "bybit"}
    for price in hype_in_usdc.values():
        assert price == pytest.approx(hype_oracle, rel=0.002)
    spot = float(replay.info({"type": "allMids"})["@107"])
    assert spot == pytest.approx(hype_oracle, rel=0.002)
    assert hype_oracle / replay.reference_median("HYPE") == pytest.approx(1 / 0.88, rel=0.003)


def test_the_oracle_trails_the_exchanges_by_its_lag_in_a_crash() -> None:
    replay = Replay("venue-wide-crash")
    oracle_at_210 = float(replay.at(210).ctx("SOL")[1]["oraclePx"])
    exchanges_at_206 = replay.at(206).reference_median("SOL")
    exchanges_at_210 = replay.at(210).reference_median("SOL")
    assert oracle_at_210 == pytest.approx(exchanges_at_206, rel=0.001)
    assert oracle_at_210 / exchanges_at_210 - 1 > 0.005  # 4 s of a 40 %-in-180-s fall


def test_okx_and_bybit_tickers_carry_a_book_around_the_last_price(replay: Replay) -> None:
    okx = replay.client.get("/api/v5/market/tickers", params={"instType": "SPOT"}).json()["data"]
    btc = next(row for row in okx if row["instId"] == "BTC-USDT")
    assert float(btc["bidPx"]) < float(btc["last"]) < float(btc["askPx"])
    bybit = replay.client.get("/v5/market/tickers", params={"category": "spot"}).json()["result"]["list"]
    btc = next(row for row in bybit if row["symbol"] == "BTCUSDT")
    assert float(btc["bid1Price"]) < float(btc["lastPrice"]) < float(btc["ask1Price"])


def test_the_oracles_other_sources_parse_with_the_exporters_adapters(replay: Replay) -> None:
    """Kraken, KuCoin, Gate and MEXC in the shapes their public API documentation gives, read by the
    exporter's own parsers: each prices ETH within a hair of the oracle and carries a 24-hour volume."""
    oracle = float(replay.ctx("ETH")[1]["oraclePx"])
    answers = {
        kraken: replay.client.get("/0/public/Ticker").json(),
        kucoin: replay.client.get("/api/v1/market/allTickers").json(),
        gate: replay.client.get("/api/v4/spot/tickers").json(),
        mexc: replay.client.get("/api/v3/ticker/24hr").json(),
    }
    for module, body in answers.items():
        quotes = module.parse(body)
        assert quotes.price("ETH", "USDT") == pytest.approx(oracle, rel=0.001), module.SOURCE
        assert (quotes.volume("ETH", "USDT") or 0.0) > 1e6, module.SOURCE
    assert "XETHZUSD" in answers[kraken]["result"]  # Kraken's legacy pair key
    assert kraken.parse(answers[kraken]).stablecoin_prices()[("USDT", "USD")] == pytest.approx(1.0, abs=0.001)


def test_a_coin_listed_only_on_kucoin_gate_and_mexc() -> None:
    scenario = {
        "name": "long-tail-only",
        "market": {
            "coins": [
                {
                    "name": "LTONLY",
                    "price": 0.42,
                    "open_interest": 10_000_000,
                    "listed_on": ["kucoin", "gate", "mexc"],
                    "external_volume_usd": 150_000,
                },
            ],
        },
    }
    replay = Replay(scenario).at(10)
    assert (
        "LTONLY"
        not in okx.parse(
            replay.client.get("/api/v5/market/tickers", params={"instType": "SPOT"}).json()
        ).bases()
    )
    for path, module in (
        ("/api/v1/market/allTickers", kucoin),
        ("/api/v4/spot/tickers", gate),
        ("/api/v3/ticker/24hr", mexc),
    ):
        quotes = module.parse(replay.client.get(path).json())
        assert quotes.price("LTONLY", "USDT") == pytest.approx(0.42, rel=0.001)
        assert quotes.volume("LTONLY", "USDT") == pytest.approx(150_000, rel=0.001)


@pytest.mark.parametrize(("name", "path"), [("kraken", "/0/public/Ticker"), ("gate", "/api/v4/spot/tickers")])
def test_an_outage_of_a_new_source_answers_its_error(name: str, path: str) -> None:
    replay = Replay(
        {"name": "outage", "events": [{"at": 0, "kind": "outage", "exchange": name, "status": 403}]}
    )
    assert replay.at(5).client.get(path).status_code == 403
