"""The simulator's node output: a scenario's fills written as node files in real time, and an LZ4 hour of
the archive's format replayed into a data directory; the node collector reads both."""

from __future__ import annotations

import json
from pathlib import Path

import lz4.frame
import pytest

from exporter.node.config import NodeStream
from exporter.node.lines import parse_line
from exporter.replay.cli import main as replay_main
from exporter.replay.clock import ScenarioClock
from exporter.replay.node_archive import replay_archive
from exporter.replay.node_files import block_line
from exporter.replay.node_writer import ScenarioNodeWriter, venue_fills
from exporter.replay.scenario import load_scenario
from exporter.replay.timeline import Timeline
from tests.node.support import BLOCK_TIME, fixture_event, fixture_line, poller, samples, value

ARCHIVE_HOUR = Path("node_fills_by_block") / "hourly" / "20251010" / "21"


def _archive(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(lz4.frame.compress(b"".join(lines)))
    return path


def _recorded_hour() -> list[bytes]:
    """The real block line first, then ADL blocks 2 s and 4 s later, and one malformed line."""
    user, adl = fixture_event()
    real = json.dumps(fixture_line()).encode() + b"\n"
    later = [block_line(758800641 + k, BLOCK_TIME + 2 * k, [(user, {**adl, "tid": k})]) for k in (1, 2)]
    return [real, later[0], b"{garbled\n", later[1]]


def test_an_lz4_hour_is_replayed_line_for_line_into_the_nodes_layout(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    node = poller(data_dir)  # before the replay: the hour's file appears after it started
    source = _archive(tmp_path / "21.lz4", _recorded_hour())
    summary = replay_archive(source, data_dir, speed=None)
    assert (summary.lines, summary.skipped, summary.stream) == (3, 1, NodeStream.FILLS_BY_BLOCK)
    written = (data_dir / ARCHIVE_HOUR).read_bytes().splitlines(keepends=True)
    expected = _recorded_hour()
    assert written == [expected[0], expected[1], expected[3]]
    found = samples(node)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 3
    assert value(found, "hyperliquid_node_block_height") == 758800643


def test_an_archive_replay_keeps_the_pace_of_its_block_times_times_the_speed(tmp_path: Path) -> None:
    now = [5000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    source = _archive(tmp_path / "21.lz4", _recorded_hour())
    replay_archive(source, tmp_path / "data", speed=4.0, sleep=sleep, wall=lambda: now[0])
    assert slept == pytest.approx([0.5, 0.5])


def test_a_retimed_replay_writes_each_block_with_the_wall_time_it_is_written_at(tmp_path: Path) -> None:
    wall = 1_800_000_000.25  # 2027-01-15T08:00:00.25 UTC
    source = _archive(tmp_path / "21.lz4", _recorded_hour())
    replay_archive(source, tmp_path / "data", speed=None, retime=True, wall=lambda: wall)
    written = (tmp_path / "data" / "node_fills_by_block" / "hourly" / "20270115" / "8").read_bytes()
    lines = [parse_line(line) for line in written.splitlines()]
    assert [line.block_time_s for line in lines] == pytest.approx([wall] * 3)
    assert [line.block_number for line in lines] == [758800641, 758800642, 758800643]


def test_the_replay_command_replays_an_archive_hour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _archive(tmp_path / "21.lz4", _recorded_hour())
    data_dir = tmp_path / "data"
    argv = ["--node-archive", str(source), "--node-data-dir", str(data_dir), "--node-archive-fast"]
    assert replay_main(argv) == 0
    assert "replayed 3 lines (fills_by_block), skipped 1 malformed" in capsys.readouterr().out
    assert (data_dir / ARCHIVE_HOUR).is_file()
    assert replay_main(["--node-archive", str(source)]) == 2


def test_a_scenarios_fills_are_written_as_node_blocks_when_their_time_comes(tmp_path: Path) -> None:
    timeline = Timeline(load_scenario("cascade-2025-10-10"))
    scenario_time = [0.0]
    wall_start = BLOCK_TIME
    clock = ScenarioClock(monotonic=lambda: scenario_time[0], wall=lambda: wall_start)
    writer = ScenarioNodeWriter(timeline, clock, tmp_path, wall=lambda: wall_start + scenario_time[0])
    node = poller(tmp_path, top_accounts=3)
    scenario_time[0] = 93.0
    writer.write_due()
    samples(node)
    before = samples(node)
    scenario_time[0] = 95.0
    writer.write_due()
    samples(node)  # coins first seen publish at 0; their events count from the next poll
    after = samples(node)
    # The ADL burst at 94 s (thousands of fills in one millisecond): one block, each ADL trade counted once
    # from its deleveraged side, whichever account the scenario puts it on.
    adl = sum(v for (name, _), v in after.items() if name == "hyperliquid_venue_auto_deleverages_total")
    adl_before = sum(
        v for (name, _), v in before.items() if name == "hyperliquid_venue_auto_deleverages_total"
    )
    deleveraged = [fill for _, fill in venue_fills(timeline) if fill.direction == "Auto-Deleveraging"]
    expected = sum(1 for fill in deleveraged if 93.0 < fill.time <= 95.0)
    assert expected >= 1000
    assert adl - adl_before == expected
    # Backstop takeovers on the liquidators (from 34 s) are counted from the liquidated accounts' own side,
    # which the writer adds as the node would hold it.
    backstop = sum(
        v
        for (name, labels), v in after.items()
        if name == "hyperliquid_venue_liquidations_total" and dict(labels)["method"] == "backstop"
    )
    assert backstop > 0
    assert value(after, "hyperliquid_node_block_time_seconds") == pytest.approx(wall_start + 94.0, abs=0.01)


def test_a_calm_scenario_still_moves_the_nodes_clock_with_empty_blocks(tmp_path: Path) -> None:
    timeline = Timeline(load_scenario("calm"))
    seconds = [0.0]
    clock = ScenarioClock(monotonic=lambda: seconds[0], wall=lambda: BLOCK_TIME)
    writer = ScenarioNodeWriter(timeline, clock, tmp_path, wall=lambda: BLOCK_TIME + seconds[0])
    node = poller(tmp_path)
    for step in range(1, 4):
        seconds[0] = float(step)
        writer.write_due()
    found = samples(node)
    assert value(found, "hyperliquid_node_block_time_seconds") == pytest.approx(BLOCK_TIME + 3.0, abs=0.01)
