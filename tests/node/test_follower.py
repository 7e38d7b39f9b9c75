"""The hourly-file follower: growth, partial lines, the next hour, a missing directory, truncation,
replacement, removal, oversized lines and a resumed position."""

from __future__ import annotations

import os
from pathlib import Path

from exporter.node.follower import HourlyFollower, Position, hour_files

LIMIT = 1 << 20


def _append(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        handle.write(data)


def _read(follower: HourlyFollower, max_bytes: int = LIMIT) -> list[bytes]:
    return list(follower.read_lines(max_bytes))


def test_starts_at_the_end_of_the_newest_file_and_reads_what_is_appended(tmp_path: Path) -> None:
    _append(tmp_path / "20251010" / "20", b"old-hour\n")
    _append(tmp_path / "20251010" / "21", b"before-1\nbefore-2\n")
    follower = HourlyFollower(tmp_path, LIMIT)
    assert _read(follower) == []
    _append(tmp_path / "20251010" / "21", b"after-1\nafter-2\n")
    assert _read(follower) == [b"after-1", b"after-2"]
    assert follower.position == Position("20251010/21", len(b"before-1\nbefore-2\nafter-1\nafter-2\n"))


def test_a_line_is_yielded_only_once_its_newline_is_written(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b'{"block_number":1,')
    assert _read(follower) == []
    assert follower.position == Position("20251010/21", 0)
    _append(path, b'"events":[]}\nnext')
    assert _read(follower) == [b'{"block_number":1,"events":[]}']
    _append(path, b"\n")
    assert _read(follower) == [b"next"]


def test_started_mid_line_the_rest_of_that_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"complete\nhalf-writ")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b"ten\nnew\n")
    assert _read(follower) == [b"new"]


def test_moves_to_the_next_hour_after_reading_the_rest_of_the_current_one(tmp_path: Path) -> None:
    _append(tmp_path / "20251010" / "23", b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(tmp_path / "20251010" / "23", b"last-of-23\n")
    _append(tmp_path / "20251011" / "0", b"first-of-0\n")
    _append(tmp_path / "20251011" / "1", b"first-of-1\n")
    assert _read(follower) == [b"last-of-23", b"first-of-0", b"first-of-1"]
    assert follower.position == Position("20251011/1", len(b"first-of-1\n"))


def test_hours_sort_by_number_not_by_name(tmp_path: Path) -> None:
    for hour in (2, 10, 9):
        _append(tmp_path / "20251010" / str(hour), b"x\n")
    _append(tmp_path / "not-a-date" / "1", b"x\n")
    _append(tmp_path / "20251010" / "notes.txt", b"x\n")
    assert hour_files(tmp_path) == [("20251010", 2), ("20251010", 9), ("20251010", 10)]


def test_a_missing_directory_reads_nothing_then_the_first_file_from_its_start(tmp_path: Path) -> None:
    root = tmp_path / "node_fills_by_block" / "hourly"
    follower = HourlyFollower(root, LIMIT)
    assert _read(follower) == []
    _append(root / "20251010" / "21", b"first\nsecond\n")
    assert _read(follower) == [b"first", b"second"]


def test_a_file_truncated_in_place_is_read_again_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b"one\ntwo\n")
    assert _read(follower) == [b"one", b"two"]
    with path.open("wb") as handle:
        handle.write(b"3\n")
    assert _read(follower) == [b"3"]
    assert follower.events["truncated"] == 1


def test_a_file_replaced_under_its_name_is_finished_then_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b"old-1\n")
    assert _read(follower) == [b"old-1"]
    _append(path, b"old-2\n")  # written before the rotation, read from the old handle
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"new-1\nnew-2\nnew-3\n")
    os.replace(replacement, path)
    assert _read(follower) == [b"old-2", b"new-1", b"new-2", b"new-3"]
    assert follower.events["replaced"] == 1


def test_a_file_replaced_while_an_oversized_line_is_skipped_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, max_line_bytes=100, chunk_bytes=64)
    _append(path, b"x" * 500)  # an oversized line, never finished
    assert _read(follower) == []
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"first\nsecond\n")
    os.replace(replacement, path)
    assert _read(follower) == [b"first", b"second"]


def test_a_file_removed_while_read_is_finished_then_the_next_hour_is_read(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b"a\n")
    assert _read(follower) == [b"a"]
    _append(path, b"b\n")
    path.unlink()
    _append(tmp_path / "20251010" / "22", b"c\n")
    assert _read(follower) == [b"b", b"c"]


def test_an_unfinished_last_line_is_dropped_once_the_next_hour_exists_and_it_stays_unfinished(
    tmp_path: Path,
) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b"whole\nbroken")
    _append(tmp_path / "20251010" / "22", b"next\n")
    # The first read waits: the line may still be being finished.
    assert _read(follower) == [b"whole"]
    assert _read(follower) == [b"next"]
    assert follower.events["partial_line_dropped"] == 1


def test_an_unfinished_line_finished_before_the_second_look_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT)
    _append(path, b"slow")
    _append(tmp_path / "20251010" / "22", b"next\n")
    assert _read(follower) == []
    _append(path, b"-line\n")
    assert _read(follower) == [b"slow-line", b"next"]


def test_an_oversized_line_is_skipped_and_counted_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, max_line_bytes=100, chunk_bytes=64)
    _append(path, b"x" * 1000 + b"\nshort\n")
    assert _read(follower) == [b"short"]
    assert follower.events["oversized_line"] == 1
    assert follower.position == Position("20251010/21", 1007)


def test_each_read_stops_after_its_byte_budget_and_the_next_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"")
    follower = HourlyFollower(tmp_path, LIMIT, chunk_bytes=4)
    _append(path, b"".join(b"line-%d\n" % k for k in range(10)))
    first = _read(follower, max_bytes=20)
    rest = _read(follower)
    assert first + rest == [b"line-%d" % k for k in range(10)]
    assert 0 < len(first) < 10


def test_resumes_at_a_saved_position(tmp_path: Path) -> None:
    path = tmp_path / "20251010" / "21"
    _append(path, b"counted\nwritten-while-down\n")
    follower = HourlyFollower(tmp_path, LIMIT, start=Position("20251010/21", len(b"counted\n")))
    assert _read(follower) == [b"written-while-down"]


def test_a_saved_file_rotated_away_resumes_with_the_next_hour_from_its_start(tmp_path: Path) -> None:
    _append(tmp_path / "20251010" / "22", b"first-of-22\n")
    follower = HourlyFollower(tmp_path, LIMIT, start=Position("20251010/21", 500))
    assert _read(follower) == [b"first-of-22"]


def test_a_saved_offset_past_the_end_reads_the_file_again_from_its_start(tmp_path: Path) -> None:
    _append(tmp_path / "20251010" / "21", b"rewritten\n")
    follower = HourlyFollower(tmp_path, LIMIT, start=Position("20251010/21", 5000))
    assert _read(follower) == [b"rewritten"]
    assert follower.events["truncated"] == 1
