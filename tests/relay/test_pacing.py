"""Pacing decisions, driven with explicit timestamps."""

from __future__ import annotations

import pytest

from exporter.relay.config import RateWindow
from exporter.relay.pacing import SAFETY_MARGIN_RATIO, Pacer

TELEGRAM_GROUP = (RateWindow(messages=1, period_seconds=1.0), RateWindow(messages=20, period_seconds=60.0))


def test_one_per_second_and_twenty_per_minute() -> None:
    pacer = Pacer(TELEGRAM_GROUP)
    now = 0.0
    sends = []
    for _ in range(25):
        now += pacer.delay(now)
        pacer.record(now)
        sends.append(now)
    stretch = 1 + SAFETY_MARGIN_RATIO
    assert sends[:20] == pytest.approx([i * stretch for i in range(20)])
    assert sends[20] == pytest.approx(60.0 * stretch)  # the 21st waits for the minute window
    assert sends[21] == pytest.approx(61.0 * stretch)
    for window in TELEGRAM_GROUP:
        for i in range(len(sends) - window.messages):
            assert sends[i + window.messages] - sends[i] >= window.period_seconds - 1e-9


def test_retry_after_pauses_the_chat() -> None:
    pacer = Pacer(TELEGRAM_GROUP)
    pacer.record(0.0)
    pacer.pause_until(7.5)
    assert pacer.delay(1.0) == pytest.approx(6.5)
    pacer.pause_until(3.0)  # a shorter pause never shortens a longer one
    assert pacer.delay(1.0) == pytest.approx(6.5)
    assert pacer.delay(8.0) == 0.0


def test_no_windows_means_no_wait() -> None:
    assert Pacer(()).delay(0.0) == 0.0
