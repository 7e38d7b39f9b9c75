"""The node-hour source's pieces that need no stack: finding the hour, scanning it, writing it re-timed at
its pace, the chain-time axis, and the command's refusals."""

from __future__ import annotations

from pathlib import Path

import lz4.frame
import orjson
import pytest

from exporter.backtest.cli import main
from exporter.backtest.model import Timeline
from exporter.backtest.node_hour import HourPace, HourReplay, locate_hour, scan_hour
from exporter.node.config import NodeStream
from exporter.node.lines import parse_line
from exporter.replay.node_files import hour_name
from tests.backtest.node_hour import write_node_hour
from tests.node.support import BLOCK_TIME, fill

HOUR = Path("node_fills_by_block") / "hourly" / "20251010" / "21"


def test_an_hour_is_found_as_a_file_or_in_a_data_directory(tmp_path: Path) -> None:
    hour = write_node_hour(tmp_path / HOUR)
    assert locate_hour(hour, None) == hour
    assert locate_hour(tmp_path, "20251010/21") == hour
    assert locate_hour(tmp_path, "2025-10-10T21:30:00Z") == hour
    assert locate_hour(tmp_path / "node_fills_by_block" / "hourly", "20251010/21") == hour
    with pytest.raises(ValueError, match="--hour"):
        locate_hour(tmp_path, None)
    with pytest.raises(FileNotFoundError, match="20251010/22"):
        locate_hour(tmp_path, "20251010/22")
    with pytest.raises(ValueError, match="YYYYMMDD/H"):
        locate_hour(tmp_path, "yesterday")


def test_a_scan_finds_the_stream_the_span_and_the_coins_with_events(tmp_path: Path) -> None:
    hour = scan_hour(write_node_hour(tmp_path / HOUR, seconds_before=20, seconds_after=30))
    assert hour.stream is NodeStream.FILLS_BY_BLOCK
    assert (hour.lines, hour.skipped) == (51, 0)
    assert hour.first_s == pytest.approx(BLOCK_TIME - 20, abs=1e-3)
    assert hour.last_s == pytest.approx(BLOCK_TIME + 30, abs=1e-3)
    # AVAX: the real ADL block; ETH: the generated market liquidation. BTC has ordinary fills only.
    assert hour.coins == ("AVAX", "ETH")


def test_a_file_without_node_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "21"
    path.write_bytes(b"not json\n\n")
    with pytest.raises(ValueError, match="no node fill line"):
        scan_hour(path)


def test_the_hour_is_written_in_its_range_each_line_retimed_to_its_wall_time(tmp_path: Path) -> None:
    hour = scan_hour(write_node_hour(tmp_path / HOUR))
    pace = HourPace(hour.first_s + 5, hour.last_s - 10, wall_start=1_800_000_000.0, speed=10)
    replay = HourReplay(hour, tmp_path / "data", pace, wall=lambda: 2_000_000_000.0)  # late: no waiting
    replay.run()
    assert replay.error is None
    written = (tmp_path / "data" / "node_fills_by_block" / "hourly" / hour_name(pace.wall_start)).read_bytes()
    lines = [parse_line(line) for line in written.splitlines()]
    assert len(lines) == replay.written == 36  # seconds 5 to 40 of the hour's 51
    for line, k in zip(lines, range(5, 41), strict=True):
        assert line.block_time_s == pytest.approx(pace.wall_start + (k - 5) / 10, abs=1e-3)


def test_a_plain_fill_line_is_retimed_by_its_fill_time(tmp_path: Path) -> None:
    source = tmp_path / "node_fills" / "hourly" / "20251010" / "21"
    source.parent.mkdir(parents=True)
    times = [round((BLOCK_TIME + k) * 1000) for k in range(3)]
    source.write_bytes(b"".join(orjson.dumps(["0x" + "11" * 20, fill(time_ms=t)]) + b"\n" for t in times))
    hour = scan_hour(source)
    assert hour.stream is NodeStream.FILLS
    pace = HourPace(hour.first_s, hour.last_s, wall_start=1_800_000_000.0, speed=2)
    HourReplay(hour, tmp_path / "data", pace, wall=lambda: 2_000_000_000.0).run()
    written = (tmp_path / "data" / "node_fills" / "hourly" / hour_name(pace.wall_start)).read_bytes()
    assert [parse_line(line).block_time_s for line in written.splitlines()] == pytest.approx(
        [pace.wall_start, pace.wall_start + 0.5, pace.wall_start + 1.0], abs=1e-3
    )


def test_a_node_hour_is_drawn_in_the_chains_utc_time() -> None:
    timeline = Timeline(1000.0, 10.0, utc_at_zero=BLOCK_TIME)
    assert not timeline.is_scenario
    assert timeline.x(1000.5) == "2025-10-10T21:16:09.831874+00:00"
    assert timeline.label(1000.0) == "2025-10-10 21:16:04 UTC"
    assert timeline.seconds(2.0) == 20.0
    assert timeline.axis_title == "chain time (UTC)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenario=calm", "--hour=20251010/21"], "--hour applies to --node"),
        (["--node={hour}", "--coin=BTC"], "--coin"),
        (["--node={data}"], "give --hour"),
        (["--node={hour}", "--from=30", "--to=10"], "must be after"),
        (["--node={data}/missing"], "no node hour file"),
    ],
)
def test_bad_node_arguments_get_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    hour = write_node_hour(tmp_path / HOUR)
    filled = [arg.format(hour=hour, data=tmp_path) for arg in argv]
    assert main([*filled, f"--output={tmp_path / 'x.html'}"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_an_archive_hour_in_lz4_is_found_and_read_alike(tmp_path: Path) -> None:
    plain = scan_hour(write_node_hour(tmp_path / "plain" / "21"))
    archive = tmp_path / "archive" / HOUR.parent / "21.lz4"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(lz4.frame.compress((tmp_path / "plain" / "21").read_bytes()))
    found = locate_hour(tmp_path / "archive", "20251010/21")
    assert found == archive
    read = scan_hour(found)
    assert (read.stream, read.lines, read.first_s, read.last_s, read.coins) == (
        plain.stream,
        plain.lines,
        plain.first_s,
        plain.last_s,
        plain.coins,
    )
