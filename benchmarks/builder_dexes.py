"""Builder dexes (HIP-3) for the scrape benchmarks' fake venue: perpDexs and the `dex` field.

`add_builder_dexes(venue, dexes, perps)` serves `dexes` builder dexes of `perps` markets each
(`d0:C0`, ...) through the venue's `extra_info`; `dexes_config(dexes)` enables the exporter's dexes
collector with a budget that polls them all within seconds, so the exposition reaches its full size.
"""

from __future__ import annotations

from typing import Any

from tests.market.fake_venue import FakeVenue, mainnet_like


def _dex_universe(name: str, perps: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    base = mainnet_like(perps)
    universe = [
        {**entry, "name": f"{name}:C{index}", "onlyIsolated": True, "isDelisted": False}
        for index, entry in enumerate(base.meta["universe"])
    ]
    return {**base.meta, "universe": universe}, base.contexts


def add_builder_dexes(venue: FakeVenue, dexes: int, perps: int) -> None:
    names = [f"d{n}" for n in range(dexes)]
    markets = {name: _dex_universe(name, perps) for name in names}
    first_dex = venue.info_handlers()

    def by_dex(kind: str, builder: Any) -> Any:
        def handler(body: dict[str, Any]) -> Any:
            dex = body.get("dex") or ""
            return builder(dex) if dex else first_dex[kind](body)

        return handler

    def perp_dexs(_: dict[str, Any]) -> Any:
        return [None] + [
            {
                "name": name,
                "fullName": f"dex {name}",
                "deployer": "0x" + f"{n + 1:040x}",
                "oracleUpdater": None,
                "feeRecipient": None,
                "assetToStreamingOiCap": [[e["name"], "50000000.0"] for e in markets[name][0]["universe"]],
            }
            for n, name in enumerate(names)
        ]

    venue.extra_info.update(
        {
            "perpDexs": perp_dexs,
            "metaAndAssetCtxs": by_dex("metaAndAssetCtxs", lambda dex: list(markets[dex])),
            "perpsAtOpenInterestCap": by_dex("perpsAtOpenInterestCap", lambda dex: []),
            "perpDexStatus": lambda body: {"totalNetDeposit": "100000000.0"},
            "perpDexLimits": lambda body: {
                "totalOiCap": "1000000000.0",
                "oiSzCapPerPerp": "1000000000.0",
                "maxTransferNtl": "100000000.0",
                "coinToOiCap": [],
            },
        }
    )


def dexes_config(dexes: int) -> dict[str, Any]:
    if dexes == 0:
        return {"enabled": False}
    # Shipped intervals; the allowance lets every dex be polled on every tick.
    return {"enabled": True, "interval_seconds": 15, "weight_per_minute": 100_000}
