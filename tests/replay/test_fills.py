"""userFills / userFillsByTime: ordering, the 2000 page limit, time ranges and same-millisecond bursts."""

from __future__ import annotations

import pytest

from tests.replay.support import HLP, HLP_LIQUIDATOR, Replay


@pytest.fixture(scope="module")
def cascade() -> Replay:
    return Replay("cascade-2025-10-10").at(300)


def test_user_fills_are_the_2000_newest_newest_first(cascade: Replay) -> None:
    fills = cascade.info({"type": "userFills", "user": HLP_LIQUIDATOR})
    times = [fill["time"] for fill in fills]
    assert len(fills) == 2000
    assert times == sorted(times, reverse=True)
    assert times[0] == cascade.clock.wall_ms(170)


def test_fills_by_time_are_in_time_order_and_capped_at_2000(cascade: Replay) -> None:
    start = cascade.clock.wall_ms(0)
    fills = cascade.info({"type": "userFillsByTime", "user": HLP_LIQUIDATOR, "startTime": start})
    times = [fill["time"] for fill in fills]
    assert len(fills) == 2000
    assert times == sorted(times)


def test_a_burst_larger_than_a_page_shares_one_millisecond(cascade: Replay) -> None:
    burst_ms = cascade.clock.wall_ms(156)
    page = cascade.info(
        {"type": "userFillsByTime", "user": HLP_LIQUIDATOR, "startTime": burst_ms, "endTime": burst_ms}
    )
    assert len(page) == 2000
    assert {fill["time"] for fill in page} == {burst_ms}
    assert len({fill["tid"] for fill in page}) == 2000
    # The liquidator's own side of ADL, as recorded: liquidated, naming itself, at a loss.
    assert all(fill["dir"] == "Liquidated Cross Long" for fill in page)
    assert {fill["liquidation"]["liquidatedUser"] for fill in page} == {HLP_LIQUIDATOR}
    assert all(float(fill["closedPnl"]) < 0 for fill in page)
    # A client advancing past the millisecond finds the next bursts, never the same fills again.
    after = cascade.info({"type": "userFillsByTime", "user": HLP_LIQUIDATOR, "startTime": burst_ms + 1})
    assert {fill["time"] for fill in after} == {cascade.clock.wall_ms(170)}
    assert not {fill["tid"] for fill in after} & {fill["tid"] for fill in page}


def test_adl_shows_on_both_sides_of_each_trade(cascade: Replay) -> None:
    """Each self-naming liquidator fill has a counterparty's Auto-Deleveraging fill with its tid and hash."""
    liquidator_2 = "0xb0a55f13d22f66e6d495ac98113841b2326e9540"
    whale = "0x5eed000000000000000000000000000000001010"
    burst_ms = cascade.clock.wall_ms(156)
    own = cascade.info(
        {"type": "userFillsByTime", "user": liquidator_2, "startTime": burst_ms, "endTime": burst_ms}
    )
    assert len(own) == 265
    assert {fill["coin"] for fill in own} == {"ETH"}
    assert sum(float(f["px"]) * float(f["sz"]) for f in own) == pytest.approx(204.7e6, rel=0.01)
    deleveraged = [
        fill for fill in cascade.info({"type": "userFills", "user": whale}) if fill["time"] == burst_ms
    ]
    assert len(deleveraged) == 1
    adl = deleveraged[0]
    assert adl["dir"] == "Auto-Deleveraging"
    assert adl["liquidation"] == {"liquidatedUser": liquidator_2, "markPx": adl["liquidation"]["markPx"],
                                  "method": "backstop"}  # fmt: skip
    assert float(adl["closedPnl"]) > 0
    assert float(adl["startPosition"]) < 0
    assert adl["side"] == "B"
    matched = [fill for fill in own if fill["tid"] == adl["tid"]]
    assert len(matched) == 1
    assert matched[0]["hash"] == adl["hash"]
    assert matched[0]["side"] == "A"
    # The whale's short is smaller by what ADL closed.
    before = Replay("cascade-2025-10-10").at(155).positions(whale)["ETH"]["szi"]
    after = cascade.positions(whale)["ETH"]["szi"]
    assert float(after) - float(before) == pytest.approx(float(adl["sz"]))


def test_end_time_and_future_fills(cascade: Replay) -> None:
    early = Replay("cascade-2025-10-10").at(93)
    assert early.info({"type": "userFills", "user": HLP_LIQUIDATOR}) == []
    before_adl = cascade.info(
        {
            "type": "userFillsByTime",
            "user": HLP_LIQUIDATOR,
            "startTime": cascade.clock.wall_ms(0),
            "endTime": cascade.clock.wall_ms(93),
        }
    )
    assert before_adl == []


def test_hlp_parent_and_unknown_users_have_no_fills(cascade: Replay) -> None:
    assert cascade.info({"type": "userFills", "user": HLP}) == []
    assert cascade.info({"type": "userFills", "user": "0x" + "34" * 20}) == []
