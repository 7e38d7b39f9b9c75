"""Replays an hour of the public node-data archive (`node_fills_by_block/hourly/YYYYMMDD/H.lz4`, an LZ4
frame of the node's own lines) into a data directory, at the pace of its block times (times `speed`) or
as fast as it reads, so node mode can be run against a recorded hour (the 10 Oct 2025 21:00 hour,
wherever someone has it).

The LZ4 frame is read as a stream, line by line: memory stays bounded by the longest line. With `retime`
each block's `block_time` and `local_time` become the wall time it is written at, so the exporter's lag
and stall rules read the replay as live; fills keep their recorded `time`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lz4.frame
import orjson

from exporter.node.config import NodeStream
from exporter.node.lines import MalformedLine, parse_block_time, parse_line
from exporter.replay.node_files import NodeFileWriter, node_time

_BLOCK_TIME = re.compile(rb'"block_time"\s*:\s*"([^"]+)"')
_LOCAL_TIME = re.compile(rb'"local_time"\s*:\s*"([^"]+)"')
# The header fields come first in the node's lines: look for them there, not in a 10 MB block.
HEADER_BYTES = 256


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    lines: int
    skipped: int
    stream: NodeStream | None


def _line_time(line: bytes) -> tuple[float, NodeStream]:
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


def _retimed(line: bytes, wall_s: float) -> bytes:
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
        with lz4.frame.open(source, mode="rb") as compressed:
            for raw in compressed:
                line = raw.rstrip(b"\n")
                if not line.strip():
                    continue
                try:
                    recorded, stream = _line_time(line)
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
                if retime:
                    line = _retimed(line, due)
                writer = writers.setdefault(stream, NodeFileWriter(data_dir, stream))
                writer.write_raw(due if retime else recorded, line + b"\n")
                lines += 1
    finally:
        for writer in writers.values():
            writer.close()
    return ReplaySummary(lines, skipped, stream)
