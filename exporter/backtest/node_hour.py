"""A recorded hour of a node's fills as a backtest source: finding the hour's file, what it holds, and
writing it into a node data directory at the pace of its block times (times the speed), each line
re-timed to the wall time it is written at, so the exporter's node collector reads it as live.

The hour is a `node_fills_by_block` or `node_fills` hourly file as the node writes it, or as the public
archive keeps it (LZ4); exporter/replay/node_archive.py reads both.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from exporter.collectors.venue_events import may_be_an_event
from exporter.node.config import NodeStream
from exporter.node.lines import MalformedLine, parse_line
from exporter.node.source import STREAM_DIRECTORIES
from exporter.replay.node_archive import hour_lines, line_time, retimed
from exporter.replay.node_files import NodeFileWriter

_HOUR_KEY = re.compile(r"^(\d{8})/(\d{1,2})$")
# Only lines holding one of these can hold a liquidation or an ADL: the others are not parsed in a scan.
_EVENT_MARKERS = (b'"liquidation"', b"Auto-Deleveraging")


def _hour_key(text: str) -> tuple[str, int]:
    """`20251010/21` (the node's layout) or an RFC 3339 time within the hour (`2025-10-10T21`, ...)."""
    found = _HOUR_KEY.match(text.strip())
    if found:
        return found.group(1), int(found.group(2))
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--hour {text!r}: give YYYYMMDD/H (as the node names its files) or 2025-10-10T21"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y%m%d}", moment.hour


def locate_hour(path: Path, hour: str | None) -> Path:
    """The hourly file: `path` itself, or within a node data directory (`~/hl/data`, a stream's `hourly`
    directory, or one of its dates' parent) the hour `hour`, plain or `.lz4`."""
    if path.is_file():
        if hour is not None:
            raise ValueError(f"--hour applies to a node data directory; {path} is a file")
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"no node hour file or data directory {path}")
    if hour is None:
        raise ValueError(f"{path} is a directory: give --hour (YYYYMMDD/H) to choose the hour in it")
    date, number = _hour_key(hour)
    roots = [path / directory / "hourly" for directory in STREAM_DIRECTORIES.values()]
    roots += [path / "hourly", path]
    tried = [root / date / name for root in roots for name in (str(number), f"{number}.lz4")]
    for candidate in tried:
        if candidate.is_file():
            return candidate
    looked = ", ".join(map(str, tried[:4]))
    raise FileNotFoundError(f"no hour {date}/{number} under {path} (looked for {looked}, ...)")


@dataclass(frozen=True)
class HourSummary:
    path: Path
    stream: NodeStream
    first_s: float  # chain time of the first line
    last_s: float
    lines: int
    skipped: int  # lines that are not a node line
    # Coins with a fill that may be a liquidation or an ADL: listed to the exporter from the start, as the
    # market poller lists every coin in production, so their counters are on /metrics at 0 beforehand.
    coins: tuple[str, ...]


def scan_hour(path: Path) -> HourSummary:
    stream: NodeStream | None = None
    first = last = None
    lines = skipped = 0
    coins: set[str] = set()
    for line in hour_lines(path):
        try:
            chain_s, kind = line_time(line)
        except (MalformedLine, orjson.JSONDecodeError, ValueError):
            skipped += 1
            continue
        if stream is None:
            stream = kind
        elif kind is not stream:
            raise ValueError(f"{path} mixes node_fills_by_block and node_fills lines")
        first = chain_s if first is None else min(first, chain_s)
        last = chain_s if last is None else max(last, chain_s)
        lines += 1
        if any(marker in line for marker in _EVENT_MARKERS):
            for _, fill in parse_line(line).events:
                if may_be_an_event(fill) and isinstance(fill.get("coin"), str):
                    coins.add(fill["coin"])
    if stream is None or first is None or last is None:
        raise ValueError(f"{path} holds no node fill line ({skipped} lines that are not one)")
    return HourSummary(path, stream, first, last, lines, skipped, tuple(sorted(coins)))


@dataclass(frozen=True)
class HourPace:
    """Chain time `chain_start` is written at wall time `wall_start`; later lines `speed` times faster
    than they were recorded. Lines outside [chain_start, chain_end] are not written."""

    chain_start: float
    chain_end: float
    wall_start: float
    speed: float

    def wall(self, chain_s: float) -> float:
        return self.wall_start + (chain_s - self.chain_start) / self.speed


class HourReplay:
    """Writes the hour into `data_dir` in a thread, each line when its time comes, re-timed to then."""

    def __init__(
        self,
        summary: HourSummary,
        data_dir: Path,
        pace: HourPace,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.summary = summary
        self.data_dir = data_dir
        self.pace = pace
        self.written = 0
        self.error: BaseException | None = None
        self._wall = wall
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _wait(self, seconds: float) -> bool:
        """Wait; True when stopped meanwhile."""
        return self._stop.wait(seconds) if seconds > 0 else self._stop.is_set()

    def run(self) -> None:
        writer = NodeFileWriter(self.data_dir, self.summary.stream)
        try:
            for line in hour_lines(self.summary.path):
                if self._stop.is_set():
                    return
                try:
                    chain_s, stream = line_time(line)
                except (MalformedLine, orjson.JSONDecodeError, ValueError):
                    continue
                if chain_s < self.pace.chain_start:
                    continue
                if chain_s > self.pace.chain_end:
                    return
                due = self.pace.wall(chain_s)
                if self._wait(due - self._wall()):
                    return
                writer.write_raw(due, retimed(line, due, stream) + b"\n")
                self.written += 1
        except Exception as exc:  # reported by the backtest: the report would be of a partial hour
            self.error = exc
        finally:
            writer.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="node-hour-replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
