"""Replays an hour of the public node-data archive (`node_fills_by_block/hourly/YYYYMMDD/H.lz4`, an LZ4
frame of the node's own lines) into a data directory, at the pace of its block times (times `speed`) or
as fast as it reads, so node mode can be run against a recorded hour (the 10 Oct 2025 21:00 hour,
wherever someone has it).

The LZ4 frame is read as a stream, line by line: memory stays bounded by the longest line; an hour the
node wrote itself (not compressed) is read alike. With `retime` each block's `block_time` and `local_time`
become the wall time it is written at, so the exporter's lag and stall rules read the replay as live;
fills keep their recorded `time`, except on a plain `node_fills` line, whose only clock is its fill's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import lz4.frame
import orjson

from exporter.node.config import NodeStream
from exporter.node.lines import MalformedLine, parse_block_time, parse_line
from exporter.replay.node_files import NodeFileWriter, node_time

_BLOCK_TIME = re.compile(rb'"block_time"\s*:\s*"([^"]+)"')
_LOCAL_TIME = re.compile(rb'"local_time"\s*:\s*"([^"]+)"')
_FILL_TIME = re.compile(rb'"time"\s*:\s*\d+')
_LZ4_MAGIC = b"\x04\x22\x4d\x18"
# The header fields come first in the node's lines: look for them there, not in a 10 MB block.
HEADER_BYTES = 256


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    lines: int
    skipped: int
    stream: NodeStream | None


def hour_lines(source: Path) -> Iterator[bytes]:
    """The lines of an hour file, LZ4-compressed (the archive's) or plain (the node's own), without their
    newline; blank lines are left out."""
    with source.open("rb") as probe:
        compressed = probe.read(4) == _LZ4_MAGIC
    opened = lz4.frame.open(source, mode="rb") if compressed else source.open("rb")
    with opened as lines:
        for raw in lines:
            line = raw.rstrip(b"\n")
            if line.strip():
                yield line


def line_time(line: bytes) -> tuple[float, NodeStream]:
    """The line's chain time (its block's, or a plain fill line's fill time) and which stream it is of."""
    found = _BLOCK_TIME.search(line, 0, HEADER_BYTES)
    if found is not None:
        return parse_block_time(found.group(1).decode()), NodeStream.FILLS_BY_BLOCK
    parsed = parse_line(line)
    if parsed.block_time_s is None:
        raise MalformedLine("no time in line")
    return (
        parsed.block_time_s,
        NodeStream.FILLS_BY_BLOCK if parsed.block_number is not None else NodeStream.FILLS,
    )


def retimed(line: bytes, wall_s: float, stream: NodeStream = NodeStream.FILLS_BY_BLOCK) -> bytes:
    """The line as if written at `wall_s`: a block's `block_time` and `local_time`, or a plain fill
    line's fill `time` (milliseconds)."""
    if stream is NodeStream.FILLS:
        stamp_ms = b'"time":%d' % round(wall_s * 1000)
        return _FILL_TIME.sub(lambda _: stamp_ms, line, count=1)
    stamp = node_time(wall_s).encode()
    line = _BLOCK_TIME.sub(lambda m: m.group(0).replace(m.group(1), stamp), line, count=1)
    return _LOCAL_TIME.sub(lambda m: m.group(0).replace(m.group(1), stamp), line, count=1)


def replay_archive(
    source: Path,
    data_dir: Path,
    speed: float | None = 1.0,
    retime: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    wall: Callable[[], float] = time.time,
) -> ReplaySummary:
    """Write `source`'s lines into `data_dir` as the node would; `speed` None: no waiting at all."""
    writers: dict[NodeStream, NodeFileWriter] = {}
    first: tuple[float, float] | None = None  # (recorded time, wall time) of the first line
    lines = skipped = 0
    stream: NodeStream | None = None
    try:
        for line in hour_lines(source):
            try:
                recorded, stream = line_time(line)
            except (MalformedLine, orjson.JSONDecodeError, ValueError):
                skipped += 1
                continue
            if first is None:
                first = (recorded, wall())
            due = first[1] + (recorded - first[0]) / speed if speed else wall()
            if speed:
                delay = due - wall()
                if delay > 0:
                    sleep(delay)
            writer = writers.setdefault(stream, NodeFileWriter(data_dir, stream))
            written = retimed(line, due, stream) if retime else line
            writer.write_raw(due if retime else recorded, written + b"\n")
            lines += 1
    finally:
        for writer in writers.values():
            writer.close()
    return ReplaySummary(lines, skipped, stream)
