"""Request types with no real recording are checked against the API reference's documented examples,
and the API's nulls and errors are reproduced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.replay.shapes import mismatches, schema_of
from tests.replay.support import HLP, Replay

# Documented examples, copied from /work/shared/reference/hyperliquid-api.md (A.2).
META_AND_ASSET_CTXS_EXAMPLE: Any = [
    {
        "universe": [
            {"name": "BTC", "szDecimals": 5, "maxLeverage": 50, "marginTableId": 50},
            {
                "name": "LOOM",
                "szDecimals": 1,
                "maxLeverage": 3,
                "isDelisted": True,
                "onlyIsolated": True,
                "marginMode": "strictIsolated",
            },
        ],
        "marginTables": [
            [50, {"description": "", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 50}]}]
        ],
        "collateralToken": 0,
    },
    [
        {
            "dayNtlVlm": "1169046.29406",
            "funding": "0.0000125",
            "impactPxs": ["14.3047", "14.3444"],
            "markPx": "14.3161",
            "midPx": "14.314",
            "openInterest": "688.11",
            "oraclePx": "14.32",
            "premium": "0.00031774",
            "prevDayPx": "15.322",
            "dayBaseVlm": "81660.2",
        }
    ],
]
_PORTFOLIO_WINDOW = {
    "accountValueHistory": [[1734397526634, "329265410.90790099"]],
    "pnlHistory": [[1734397526634, "0.0"]],
    "vlm": "0.0",
}
VAULT_DETAILS_EXAMPLE: Any = {
    "name": "Hyperliquidity Provider (HLP)",
    "vaultAddress": "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303",
    "leader": "0x677d831aef5328190852e24f13c46cac05f984e7",
    "description": "This community-owned vault provides liquidity ...",
    "portfolio": [
        [window, _PORTFOLIO_WINDOW]
        for window in ("day", "week", "month", "allTime", "perpDay", "perpWeek", "perpMonth", "perpAllTime")
    ],
    "apr": 0.36387129259090006,
    "followerState": None,
    "leaderFraction": 0.0007904828725729887,
    "leaderCommission": 0,
    "followers": [
        {
            "user": "0x0058...907c",
            "vaultEquity": "714491.71026243",
            "pnl": "3203.43026143",
            "allTimePnl": "79843.74476743",
            "daysFollowing": 388,
            "vaultEntryTime": 1700926145201,
            "lockupUntil": 1734824439201,
        }
    ],
    "maxDistributable": 94856870.164485,
    "maxWithdrawable": 742557.680863,
    "isClosed": False,
    "relationship": {
        "type": "parent",
        "data": {"childAddresses": ["0x010461c1...703a", "0x2e3d94f0...dd14"]},
    },
    "allowDeposits": True,
    "alwaysCloseOnWithdraw": False,
}
PERPS_AT_OPEN_INTEREST_CAP_EXAMPLE: Any = ["BADGER", "CANTO", "FTM", "LOOM", "PURR"]
PREDICTED_FUNDINGS_EXAMPLE: Any = [
    [
        "BTC",
        [
            [
                "BinPerp",
                {"fundingRate": "0.00008786", "nextFundingTime": 1754496000000, "fundingIntervalHours": 8},
            ],
            [
                "HlPerp",
                {"fundingRate": "0.0000125", "nextFundingTime": 1754470800000, "fundingIntervalHours": 1},
            ],
            ["BybitPerp", None],
        ],
    ]
]
# The reference says these may be null: midPx, premium and impactPxs (thin book), a venue entry.
NULLABLE = frozenset({"midPx", "premium", "impactPxs"})


def assert_shape(example: Any, simulated: Any) -> None:
    problems = mismatches(schema_of(example), simulated, nullable=NULLABLE)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def jelly() -> Replay:
    return Replay("jelly-2025-03-26").at(100)


def test_meta_and_asset_ctxs(jelly: Replay) -> None:
    simulated = jelly.info({"type": "metaAndAssetCtxs"})
    assert len(simulated[0]["universe"]) == len(simulated[1])
    assert_shape(META_AND_ASSET_CTXS_EXAMPLE, simulated)


def test_thin_books_give_null_mid_and_impact_prices(jelly: Replay) -> None:
    _meta, ctxs = jelly.info({"type": "metaAndAssetCtxs"})
    thin = [ctx for ctx in ctxs if ctx["midPx"] is None and ctx["openInterest"] != "0.0"]
    assert thin, "the long tail includes thin books"
    assert all(ctx["impactPxs"] is None and isinstance(ctx["markPx"], str) for ctx in thin)


def test_vault_details_of_hlp(jelly: Replay) -> None:
    simulated = jelly.info({"type": "vaultDetails", "vaultAddress": HLP})
    assert_shape(VAULT_DETAILS_EXAMPLE, simulated)
    children = simulated["relationship"]["data"]["childAddresses"]
    assert len(children) == 7
    for child in children:
        state = jelly.info({"type": "clearinghouseState", "user": child})
        assert float(state["marginSummary"]["accountValue"]) > 0


def test_vault_details_of_unknown_vault_is_null(jelly: Replay) -> None:
    assert jelly.info({"type": "vaultDetails", "vaultAddress": "0x" + "ab" * 20}) is None


def test_perps_at_open_interest_cap(jelly: Replay) -> None:
    simulated = jelly.info({"type": "perpsAtOpenInterestCap"})
    assert simulated == ["JELLY"]
    assert_shape(PERPS_AT_OPEN_INTEREST_CAP_EXAMPLE, simulated)


def test_predicted_fundings(jelly: Replay) -> None:
    simulated = jelly.info({"type": "predictedFundings"})
    assert_shape(PREDICTED_FUNDINGS_EXAMPLE, simulated)
    venues = {venue for _, entries in simulated for venue, _ in entries}
    assert venues == {"BinPerp", "HlPerp", "BybitPerp"}


@pytest.mark.parametrize(
    "body",
    [
        {"type": "liquidations"},
        {"type": 7},
        {"nottype": "meta"},
        {"type": "clearinghouseState"},
        {"type": "userFillsByTime", "user": HLP},
        {"type": "userFillsByTime", "user": HLP, "startTime": "yesterday"},
        [1, 2],
    ],
)
def test_unknown_or_undeserializable_requests_get_the_real_422(jelly: Replay, body: Any) -> None:
    response = jelly.client.post("/info", json=body)
    assert response.status_code == 422
    assert response.text == "Failed to deserialize the JSON body into the target type"


def test_numbers_are_strings_and_times_integers(jelly: Replay) -> None:
    _, ctxs = jelly.info({"type": "metaAndAssetCtxs"})
    for ctx in ctxs:
        for key in ("markPx", "oraclePx", "openInterest", "funding", "dayNtlVlm", "prevDayPx"):
            assert isinstance(ctx[key], str), (key, ctx[key])
            assert "e" not in ctx[key].lower(), (key, ctx[key])
            float(ctx[key])
    state = jelly.info({"type": "clearinghouseState", "user": HLP})
    assert isinstance(state["time"], int)
