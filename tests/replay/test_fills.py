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
    assert times[0] == cascade.clock.wall_ms(110)


def test_fills_by_time_are_in_time_order_and_capped_at_2000(cascade: Replay) -> None:
    start = cascade.clock.wall_ms(0)
    fills = cascade.info({"type": "userFillsByTime", "user": HLP_LIQUIDATOR, "startTime": start})
    times = [fill["time"] for fill in fills]
    assert len(fills) == 2000
    assert times == sorted(times)


def test_a_burst_larger_than_a_page_shares_one_millisecond(cascade: Replay) -> None:
    burst_ms = cascade.clock.wall_ms(94)
    page = cascade.info(
        {"type": "userFillsByTime", "user": HLP_LIQUIDATOR, "startTime": burst_ms, "endTime": burst_ms}
    )
    assert len(page) == 2000
    assert {fill["time"] for fill in page} == {burst_ms}
    assert len({fill["tid"] for fill in page}) == 2000
    assert all(fill["dir"] == "Auto-Deleveraging" for fill in page)
    # A client advancing past the millisecond finds the next bursts, never the same fills again.
    after = cascade.info({"type": "userFillsByTime", "user": HLP_LIQUIDATOR, "startTime": burst_ms + 1})
    assert {fill["time"] for fill in after} == {cascade.clock.wall_ms(100), cascade.clock.wall_ms(110)}
    assert not {fill["tid"] for fill in after} & {fill["tid"] for fill in page}


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
