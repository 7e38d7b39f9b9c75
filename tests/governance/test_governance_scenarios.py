"""The deployer and margin-tier scenarios answer what they say they encode."""

from __future__ import annotations

from typing import Any

from exporter.hyperliquid.dexes import parse_perp_dexs
from exporter.hyperliquid.margin import parse_meta_terms
from tests.replay.support import Replay


def dex_meta_entry(replay: Replay, coin: str) -> dict[str, Any]:
    meta = replay.info({"type": "meta", "dex": coin.split(":")[0]})
    return next(entry for entry in meta["universe"] if entry["name"] == coin)


def test_deployer_halt_halts_tsla_and_keeps_the_position() -> None:
    replay = Replay("hip3-deployer-halt")
    watched = "0x5eed000000000000000000000000000000000030"
    assert "isDelisted" not in dex_meta_entry(replay.at(230), "xyz:TSLA")
    assert dex_meta_entry(replay.at(250), "xyz:TSLA")["isDelisted"] is True
    assert "isDelisted" not in dex_meta_entry(replay.at(250), "xyz:NVDA")
    body = replay.at(250).info({"type": "clearinghouseState", "user": watched, "dex": "xyz"})
    assert [p["position"]["coin"] for p in body["assetPositions"]] == ["xyz:TSLA"]


def test_sub_deployer_appears_before_the_walk() -> None:
    replay = Replay("hip3-sub-deployer-walk")

    def sub_deployers(at: float) -> tuple[tuple[str, str], ...]:
        found = parse_perp_dexs(replay.at(at).info({"type": "perpDexs"}))
        return next(dex for dex in found.dexes if dex.name == "xyz").sub_deployers

    assert sub_deployers(550) == ()
    assert sub_deployers(570) == (("setOracle", "0x50b0000000000000000000000000000000000031"),)

    def oracle(at: float) -> float:
        meta, ctxs = replay.at(at).info({"type": "metaAndAssetCtxs", "dex": "xyz"})
        names = [entry["name"] for entry in meta["universe"]]
        return float(ctxs[names.index("xyz:TSLA")]["oraclePx"])

    assert oracle(660) / oracle(595) > 1.2


def test_margin_tier_change_doubles_btc_maintenance_margin_without_moving_its_price() -> None:
    replay = Replay("margin-tier-change")

    def btc(at: float) -> list[float]:
        terms = parse_meta_terms(replay.at(at).info({"type": "meta"}), "meta")
        coin = next(coin for coin in terms.coins if coin.coin == "BTC")
        return [tier.maintenance_margin_ratio for tier in coin.tiers]

    assert btc(320) == [0.0125]
    assert btc(340) == [0.025, 0.05]
    mark_before = float(replay.at(320).ctx("BTC")[1]["markPx"])
    mark_after = float(replay.at(340).ctx("BTC")[1]["markPx"])
    assert abs(mark_after / mark_before - 1) < 0.005


def test_the_delist_vote_holder_stakes_with_hype_in_the_unstaking_queue() -> None:
    """Its staking gives the overview dashboard's unstaking panels data in an end-to-end scenario."""
    replay = Replay("governance-delist-vote").at(10)
    watched = "0x5eed000000000000000000000000000000000033"
    summary = replay.info({"type": "delegatorSummary", "user": watched})
    assert summary == {
        "delegated": "20000.0",
        "undelegated": "0.0",
        "totalPendingWithdrawal": "5000.0",
        "nPendingWithdrawals": 1,
    }
