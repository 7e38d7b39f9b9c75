"""Scenario time: starts at --start-offset, runs --speed times faster, and maps to wall-clock milliseconds."""

from __future__ import annotations

import pytest

from exporter.replay.clock import ScenarioClock
from tests.replay.support import WALL_START, FakeMonotonic, Replay


def test_speed_compresses_time() -> None:
    monotonic = FakeMonotonic()
    clock = ScenarioClock(speed=60, start_offset=0, monotonic=monotonic, wall=lambda: WALL_START)
    monotonic.value = 2.5
    assert clock.now() == 150
    assert clock.wall_ms(150) == int((WALL_START + 2.5) * 1000)
    assert clock.scenario_time(clock.wall_ms(150)) == pytest.approx(150)


def test_start_offset_starts_later_in_the_scenario() -> None:
    monotonic = FakeMonotonic()
    clock = ScenarioClock(speed=10, start_offset=2700, monotonic=monotonic, wall=lambda: WALL_START)
    assert clock.now() == 2700
    assert clock.wall_ms(2700) == int(WALL_START * 1000)
    assert clock.wall_ms(0) == int((WALL_START - 270) * 1000), "t=0 lies in the past"


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        ScenarioClock(speed=0)


def test_served_state_follows_the_compressed_clock() -> None:
    replay = Replay("jelly-2025-03-26")
    replay.clock.speed = 100.0
    replay.monotonic.value = 27.02  # 2,702 scenario seconds: after the delisting
    entry, _ctx = replay.ctx("JELLY")
    assert entry.get("isDelisted") is True
    fills = replay.info({"type": "userFills", "user": "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"})
    # The takeover happened at scenario 40 s: 0.4 s of wall time after start at speed 100.
    assert fills[-1]["time"] == int(WALL_START * 1000) + 400
