"""Follows a node's hourly output: `{root}/{YYYYMMDD}/{hour}`, one file per hour, appended as blocks arrive.

The follower reads the current hour's file as it grows and yields complete lines only: a line still being
written (no newline yet) waits for the next read. At the end of a file it moves to the next hour's file
once that exists, reading what is left of the old one first. It survives:
- a missing directory (nothing to read until files appear);
- a file truncated in place (read again from its start) or replaced under its name (the old handle is read
  to its end, then the new file from its start); the reader of the lines de-duplicates by block number;
- a file removed while read (its open handle is finished, then the next hour's file);
- a line longer than `max_line_bytes` (skipped and counted, never held whole);
- a last line that never gets its newline before the next hour's file appears (dropped and counted, after
  one more read has seen the file unchanged).
Memory is bounded by the chunk size and `max_line_bytes`; each read stops after `max_bytes`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_DATE = re.compile(r"^\d{8}$")
_HOUR = re.compile(r"^\d{1,2}$")
CHUNK_BYTES = 1 << 20

HourKey = tuple[str, int]  # (YYYYMMDD, hour)


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading stands: a file (`YYYYMMDD/H`, relative to the root) and the byte after the last
    complete line read from it."""

    file: str
    offset: int


def hour_key(relative: str) -> HourKey | None:
    date, _, hour = relative.partition("/")
    if not _DATE.match(date) or not _HOUR.match(hour):
        return None
    return date, int(hour)


def relative_name(key: HourKey) -> str:
    return f"{key[0]}/{key[1]}"


def hour_files(root: Path, from_date: str = "") -> list[HourKey]:
    """The hourly files under `root` on `from_date` or later, oldest first (empty if `root` is missing)."""
    try:
        dates = sorted(name for name in os.listdir(root) if _DATE.match(name) and name >= from_date)
    except (FileNotFoundError, NotADirectoryError):
        return []
    keys: list[HourKey] = []
    for date in dates:
        try:
            names = os.listdir(root / date)
        except (FileNotFoundError, NotADirectoryError):
            continue
        keys.extend((date, int(name)) for name in names if _HOUR.match(name))
    return sorted(keys)


class HourlyFollower:
    def __init__(
        self,
        root: Path,
        max_line_bytes: int,
        start: Position | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        from_first_file: bool = False,
    ) -> None:
        """From `start` (a persisted position), from the start of the oldest file (`from_first_file`: a
        directory that appeared after the reader started holds only what was written since), or else
        from the end of the newest file ("now")."""
        self.root = root
        self.max_line_bytes = max_line_bytes
        self.chunk_bytes = chunk_bytes
        self.events: Counter[str] = Counter()  # truncated, replaced, oversized_line, partial_line_dropped
        self._key: HourKey | None = None
        self._handle: BinaryIO | None = None
        self._offset = 0  # the byte after the last complete line of the current file
        self._parts: list[bytes] = []  # the line being read (no newline yet)
        self._part_bytes = 0
        self._skipping = False  # inside a line that is not to be yielded (oversized, or begun before us)
        self._after: HourKey | None = None  # the next file to read is the first one after this
        self._eof_size: int | None = None  # the size at which the current file was last seen ended
        if from_first_file:
            self._after = ("", -1)
        elif start is None or not self._resume(start):
            self._start_now()

    @property
    def position(self) -> Position | None:
        if self._key is None:
            return None
        return Position(relative_name(self._key), self._offset)

    @property
    def current_file(self) -> Path | None:
        return None if self._key is None else self._path(self._key)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _path(self, key: HourKey) -> Path:
        return self.root / key[0] / str(key[1])

    def _start_now(self) -> None:
        """At the end of the newest file. With no file yet, whatever appears first was written after
        we started and is read from its beginning."""
        files = hour_files(self.root)
        if not files or not self._open(files[-1], at_end=True):
            self._after = ("", -1)

    def _resume(self, start: Position) -> bool:
        key = hour_key(start.file)
        if key is None:
            return False  # not a position of ours
        try:
            handle = open(self._path(key), "rb")  # noqa: SIM115 - kept open across reads
        except FileNotFoundError:
            self._after = key  # rotated away while we were down: go on with the next hour
            return True
        size = os.fstat(handle.fileno()).st_size
        offset = start.offset
        if size < offset:
            self.events["truncated"] += 1
            offset = 0
        handle.seek(offset)
        self._key, self._handle, self._offset = key, handle, offset
        return True

    def _open(self, key: HourKey, at_end: bool) -> bool:
        try:
            handle = open(self._path(key), "rb")  # noqa: SIM115 - kept open across reads
        except FileNotFoundError:
            return False
        offset, mid_line = 0, False
        if at_end:
            offset = os.fstat(handle.fileno()).st_size
            if offset > 0:
                handle.seek(offset - 1)
                # Mid-line: the rest of that line is not ours to read.
                mid_line = handle.read(1) != b"\n"
        self.close()
        self._key, self._handle, self._offset = key, handle, offset
        self._parts, self._part_bytes, self._eof_size, self._skipping = [], 0, None, mid_line
        return True

    def _open_next(self) -> bool:
        after = self._after or ("", -1)
        following = [key for key in hour_files(self.root, after[0]) if key > after]
        return bool(following) and self._open(following[0], at_end=False)

    def read_lines(self, max_bytes: int) -> Iterator[bytes]:
        """Complete lines (without their newline) from the position on, until `max_bytes` were read or
        nothing more is there. `position` covers every line yielded so far."""
        read = 0
        while read < max_bytes:
            if self._handle is None and not self._open_next():
                return
            assert self._handle is not None
            chunk = self._handle.read(min(self.chunk_bytes, max_bytes - read))
            if chunk:
                read += len(chunk)
                self._eof_size = None
                yield from self._split(chunk)
                continue
            if not self._at_end_of_file():
                return

    def _at_end_of_file(self) -> bool:
        """At the end of the current file: True to read on (from another file or offset), False to wait."""
        assert self._handle is not None
        assert self._key is not None
        handle_stat = os.fstat(self._handle.fileno())
        position = self._offset + self._part_bytes
        if handle_stat.st_size < position:
            self.events["truncated"] += 1
            self._restart_file()
            return True
        try:
            path_stat = os.stat(self._path(self._key))
        except FileNotFoundError:
            path_stat = None
        if path_stat is not None and path_stat.st_ino != handle_stat.st_ino:
            self.events["replaced"] += 1
            return self._open(self._key, at_end=False)
        following = [key for key in hour_files(self.root, self._key[0]) if key > self._key]
        if not following:
            return False
        if self._parts and self._eof_size != handle_stat.st_size:
            # The last line may still be being finished: look once more at the next read.
            self._eof_size = handle_stat.st_size
            return False
        if self._parts or self._skipping:
            if self._parts:
                self.events["partial_line_dropped"] += 1
            self._parts, self._part_bytes, self._skipping = [], 0, False
        self._after = self._key
        self.close()
        self._key = None
        return True

    def _restart_file(self) -> None:
        assert self._handle is not None
        self._handle.seek(0)
        self._offset, self._parts, self._part_bytes, self._skipping = 0, [], 0, False

    def _split(self, chunk: bytes) -> Iterator[bytes]:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                self._hold(chunk[start:])
                return
            piece = chunk[start:newline]
            length = self._part_bytes + len(piece) + 1
            if self._skipping:
                line = b""
                self._skipping = False
            elif self._parts:
                self._parts.append(piece)
                line = b"".join(self._parts)
            else:
                line = piece
            self._parts, self._part_bytes = [], 0
            self._offset += length
            start = newline + 1
            if line.strip():
                yield line

    def _hold(self, piece: bytes) -> None:
        if not piece:
            return
        if not self._skipping:
            self._parts.append(piece)
        self._part_bytes += len(piece)
        if not self._skipping and self._part_bytes > self.max_line_bytes:
            self.events["oversized_line"] += 1
            self._parts, self._skipping = [], True
