"""The perp venues' bulk tickers (exporter/prices/perps/) on real-shaped answers
(tests/fixtures/perp-tickers/, see its README row), their errors, and the per-1,000 contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exporter.prices.errors import SourceError
from exporter.prices.perps import binance, bybit, gate, mexc, okx
from exporter.prices.perps.contracts import base_and_units, perp_quotes

FIXTURES = Path(__file__).parent.parent / "fixtures" / "perp-tickers"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_binance_book_tickers_give_mids_per_unit_and_skip_dated_futures() -> None:
    quotes = binance.parse(fixture("binance_fapi_bookTicker.json"))
    assert quotes.by_currency["USDT"]["BTC"] == pytest.approx(97010.45)
    assert quotes.by_currency["USDT"]["PEPE"] == pytest.approx(0.01531500 / 1000)
    assert quotes.by_currency["USDC"]["BTC"] == pytest.approx(97001.2)
    assert "BTCUSDT_260327" not in str(quotes.by_currency)  # a quarterly future, not a perp


def test_okx_swaps_keep_usdt_margined_contracts_only() -> None:
    quotes = okx.parse(fixture("okx_swap_tickers.json"))
    assert quotes.by_currency["USDT"] == {
        "BTC": pytest.approx(97012.15),
        "PEPE": pytest.approx(0.000015325),
    }  # BTC-USD-SWAP is coin-margined: left out


def test_bybit_linear_reads_usdt_and_usdc_perps() -> None:
    quotes = bybit.parse(fixture("bybit_linear_tickers.json"))
    assert quotes.by_currency["USDT"]["BTC"] == pytest.approx(97015.25)
    assert quotes.by_currency["USDT"]["PEPE"] == pytest.approx(0.0153145 / 1000)
    assert quotes.by_currency["USDC"]["BTC"] == pytest.approx(97003.5)  # BTCPERP


def test_gate_and_mexc_give_book_mids() -> None:
    gate_quotes = gate.parse(fixture("gate_futures_usdt_tickers.json")).by_currency["USDT"]
    assert gate_quotes == {"BTC": pytest.approx(97008.9), "LTONLY": pytest.approx(0.4211)}
    mexc_quotes = mexc.parse(fixture("mexc_contract_ticker.json")).by_currency["USDT"]
    assert mexc_quotes == {"BTC": pytest.approx(97011.2), "PEPE": pytest.approx(0.00001532)}


@pytest.mark.parametrize(
    ("module", "payload", "reason"),
    [
        (binance, {"code": -1003, "msg": "Too many requests; current limit is 2400"}, "api_error"),
        (binance, {"symbol": "BTCUSDT"}, "shape"),
        (okx, {"code": "51001", "msg": "Instrument ID does not exist", "data": []}, "api_error"),
        (okx, {"code": "0", "data": None}, "shape"),
        (bybit, {"retCode": 10001, "retMsg": "params error", "result": {}}, "api_error"),
        (bybit, {"retCode": 0, "result": {"list": "x"}}, "shape"),
        (gate, {"label": "INVALID_PARAM_VALUE", "message": "invalid settle"}, "api_error"),
        (gate, {"x": 1}, "shape"),
        (mexc, {"success": False, "code": 510, "message": "Requests are too frequent"}, "api_error"),
        (mexc, {"success": True, "code": 0, "data": {}}, "shape"),
        (mexc, [], "shape"),
    ],
)
def test_errors_fail_the_venue_with_a_reason(module: Any, payload: Any, reason: str) -> None:
    with pytest.raises(SourceError) as error:
        module.parse(payload)
    assert error.value.reason == reason
    assert error.value.source == module.SOURCE


def test_malformed_rows_cost_only_themselves() -> None:
    rows = [
        {"symbol": "BTCUSDT", "bidPrice": "97000", "askPrice": "97001"},
        {"symbol": "ETHUSDT", "bidPrice": "garbled", "askPrice": None},
        {"symbol": 7, "bidPrice": "1", "askPrice": "1"},
        "not a row",
    ]
    assert binance.parse(rows).by_currency["USDT"] == {"BTC": pytest.approx(97000.5)}


def test_contract_multipliers() -> None:
    assert base_and_units("1000PEPE") == ("PEPE", 1000.0)
    assert base_and_units("1000000MOG") == ("MOG", 1_000_000.0)
    assert base_and_units("BTC") == ("BTC", 1.0)
    assert base_and_units("1INCH") == ("1INCH", 1.0)
    # Where both are listed, the unscaled contract wins.
    quotes = perp_quotes([("PEPEUSDT", "0.0000153"), ("1000PEPEUSDT", "0.0160")], {"USDT": "USDT"})
    assert quotes.by_currency["USDT"]["PEPE"] == pytest.approx(0.0000153)
