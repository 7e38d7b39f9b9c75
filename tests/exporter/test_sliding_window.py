"""The sliding window shared by the relay's pacing and the simulator's rate limit."""

from __future__ import annotations

import pytest

from exporter.sliding_window import SlidingWindow


def test_weight_stops_counting_one_window_after_it_was_spent() -> None:
    window = SlidingWindow(60.0)
    window.add(0.0, 20)
    window.add(30.0, 5)
    assert window.total(59.9) == 25
    assert window.total(60.0) == 5
    assert window.total(90.0) == 0


def test_wait_frees_the_oldest_weight_first() -> None:
    window = SlidingWindow(10.0)
    window.add(0.0, 6)
    window.add(2.0, 3)
    window.add(4.0, 1)
    assert window.wait(5.0, 0, 10) == 0.0
    assert window.wait(5.0, 4, 10) == pytest.approx(5.0)  # the 6 spent at 0 must leave
    assert window.wait(5.0, 8, 10) == pytest.approx(7.0)  # and the 3 spent at 2
    assert window.wait(11.0, 4, 10) == 0.0


def test_a_weight_above_the_limit_waits_for_an_empty_window() -> None:
    window = SlidingWindow(10.0)
    window.add(1.0, 2)
    window.add(3.0, 2)
    assert window.wait(4.0, 50, 10) == pytest.approx(9.0)
    assert SlidingWindow(10.0).wait(0.0, 50, 10) == 0.0
