"""The simulator's builder dexes: perpDexs and the `dex` field, calm dexes everywhere, the oracle walk."""

from __future__ import annotations

import itertools

import pytest

from exporter.replay.scenario import scenario_names
from tests.replay.support import Replay


@pytest.mark.parametrize("scenario", scenario_names())
def test_every_shipped_scenario_has_two_builder_dexes(scenario: str) -> None:
    replay = Replay(scenario).at(30)
    dexes = replay.info({"type": "perpDexs"})
    assert dexes[0] is None
    names = [dex["name"] for dex in dexes[1:]]
    assert len(names) >= 2
    first = {entry["name"] for entry in replay.info({"type": "meta"})["universe"]}
    assert not any(":" in coin for coin in first)
    for name in names:
        meta, ctxs = replay.info({"type": "metaAndAssetCtxs", "dex": name})
        coins = [entry["name"] for entry in meta["universe"]]
        assert coins
        assert all(coin.startswith(f"{name}:") for coin in coins)
        assert all(entry["onlyIsolated"] for entry in meta["universe"])
        assert set(replay.info({"type": "allMids", "dex": name})) == set(coins)
        assert replay.info({"type": "perpsAtOpenInterestCap", "dex": name}) == []
        assert float(replay.info({"type": "perpDexStatus", "dex": name})["totalNetDeposit"]) > 0
        assert replay.info({"type": "perpDexLimits", "dex": name})["coinToOiCap"]
        for ctx in ctxs:  # calm: oracle and mark together
            assert abs(float(ctx["markPx"]) / float(ctx["oraclePx"]) - 1) < 0.001


def test_unknown_dex_is_refused_or_null_as_the_api_does() -> None:
    replay = Replay("calm")
    assert replay.client.post("/info", json={"type": "metaAndAssetCtxs", "dex": "nope"}).status_code == 422
    assert replay.info({"type": "perpDexStatus", "dex": "nope"}) is None
    assert replay.info({"type": "perpDexLimits", "dex": "nope"}) is None


def test_the_walk_moves_the_oracle_by_the_capped_one_percent_per_update_and_the_mark_half() -> None:
    replay = Replay("hip3-oracle-walk")

    def prices(time: float) -> tuple[float, float]:
        meta, ctxs = replay.at(time).info({"type": "metaAndAssetCtxs", "dex": "xyz"})
        ctx = ctxs[[entry["name"] for entry in meta["universe"]].index("xyz:TSLA")]
        return float(ctx["oraclePx"]), float(ctx["markPx"])

    start_oracle, start_mark = prices(239)
    steps = [prices(240.5 + 3 * k) for k in range(30)]
    oracles = [start_oracle] + [oracle for oracle, _ in steps]
    ratios = [after / before for before, after in itertools.pairwise(oracles)]
    assert all(1.0095 < ratio < 1.0105 for ratio in ratios), ratios  # the capped 1 %, every 3 s
    oracle, mark = steps[-1]
    assert oracle / start_oracle == pytest.approx(1.01**30, rel=0.003)
    assert mark / start_mark - 1 == pytest.approx(0.5 * (1.01**30 - 1), rel=0.02)
    assert prices(600) == pytest.approx(steps[-1], rel=0.005)  # the walk stops after 30 updates
