"""The benchmark's Python form of `coin:hyperliquid_hlp_projected_backstop_loss_usd:sum`."""

from __future__ import annotations

import pytest

from benchmarks.backstop_loss import Takeover, coin_losses, position_loss


def test_a_takeover_the_book_absorbs_costs_nothing() -> None:
    assert position_loss(900_000.0, 1_000_000.0) == 0.0


def test_the_move_is_two_percent_per_book_of_excess_floored_and_capped() -> None:
    assert position_loss(1_500_000.0, 1_000_000.0) == pytest.approx(500_000.0 * 0.02)
    assert position_loss(4_850_000.0, 200_000.0) == pytest.approx(4_650_000.0 * 0.465)
    assert position_loss(2_010_000.0, 10_000.0) == pytest.approx(2_000_000.0)


def test_only_the_three_largest_count_and_an_unread_side_is_left_out() -> None:
    takeovers = [
        Takeover("MANY", "bid", 1_500_000.0),
        Takeover("MANY", "ask", 2_010_000.0),
        Takeover("MANY", "bid", 900_000.0),
        Takeover("MANY", "ask", 110_000.0),
        Takeover("UNREAD", "ask", 3_000_000.0),
    ]
    depth = {("MANY", "bid"): 1_000_000.0, ("MANY", "ask"): 10_000.0}
    losses, unmeasured = coin_losses(takeovers, depth)
    assert losses == {"MANY": pytest.approx(2_010_000.0)}
    assert unmeasured == {"UNREAD": 3_000_000.0}
