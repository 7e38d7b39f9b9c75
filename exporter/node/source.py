"""The node's fill output as a source of parsed lines: which stream to follow, where reading stands, and
which blocks were already counted.

Owned by the node collector. Everything here runs in the collector's worker thread, never on the
event loop.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson

from exporter.node.config import NodeConfig, NodeStream
from exporter.node.follower import HourlyFollower
from exporter.node.lines import Loads, MalformedLine, NodeLine, parse_line
from exporter.node.position import PositionFile, SavedPosition

log = logging.getLogger(__name__)

STREAM_DIRECTORIES = {
    NodeStream.FILLS_BY_BLOCK: "node_fills_by_block",
    NodeStream.FILLS: "node_fills",
}


def stream_root(data_dir: Path, stream: NodeStream) -> Path:
    return data_dir / STREAM_DIRECTORIES[stream] / "hourly"


class NodeSource:
    def __init__(self, config: NodeConfig, loads: Loads = orjson.loads) -> None:
        assert config.data_dir is not None
        self.config = config
        self._loads = loads  # orjson: 1.4-2.4x the standard library's json here (benchmarks/node_fills.py)
        self.data_dir = config.data_dir
        self.stream: NodeStream | None = None if config.stream is NodeStream.AUTO else config.stream
        self.follower: HourlyFollower | None = None
        self.positions = PositionFile(config.state_file) if config.state_file else None
        self.block_number: int | None = None
        self.block_time_s: float | None = None
        self.lines = 0
        self.events: Counter[str] = Counter()  # malformed_line, duplicate_block (and the follower's)
        # Positioned at once: "now" is when the collector starts, not its first poll. A stream directory
        # that appears later holds only what was written since: it is read from its first file.
        self._appeared_later = False
        self._appeared_later = self._follower() is None

    def _choose_stream(self) -> NodeStream | None:
        if self.stream is not None:
            return self.stream
        for stream in (NodeStream.FILLS_BY_BLOCK, NodeStream.FILLS):
            if stream_root(self.data_dir, stream).is_dir():
                log.info("node mode: following %s", stream_root(self.data_dir, stream))
                return stream
        return None

    def _follower(self) -> HourlyFollower | None:
        if self.follower is None:
            self.stream = self._choose_stream()
            if self.stream is None:
                return None
            saved = self.positions.load(self.stream.value) if self.positions else None
            if saved is not None:
                self.block_number = saved.block_number
            self.follower = HourlyFollower(
                stream_root(self.data_dir, self.stream),
                self.config.max_line_bytes,
                start=saved.position if saved else None,
                from_first_file=saved is None and self._appeared_later,
            )
        return self.follower

    def read(self) -> Iterator[NodeLine]:
        """The lines written since the last read (at most `max_bytes_per_poll` bytes of them), parsed;
        a block at or below the last one counted is skipped."""
        follower = self._follower()
        if follower is None:
            return
        for raw in follower.read_lines(self.config.max_bytes_per_poll):
            try:
                line = parse_line(raw, self._loads)
            except MalformedLine:
                self.events["malformed_line"] += 1
                continue
            if line.block_number is not None:
                if self.block_number is not None and line.block_number <= self.block_number:
                    self.events["duplicate_block"] += 1
                    continue
                self.block_number = line.block_number
            if line.block_time_s is not None:
                self.block_time_s = max(self.block_time_s or 0.0, line.block_time_s)
            self.lines += 1
            yield line

    def file_events(self) -> Counter[str]:
        events = Counter(self.events)
        if self.follower is not None:
            events.update(self.follower.events)
        return events

    def commit(self) -> None:
        """Keep the position of the last line counted (call after counting what `read` gave)."""
        if self.positions is None or self.follower is None or self.stream is None:
            return
        position = self.follower.position
        if position is None:
            return
        try:
            self.positions.save(SavedPosition(self.stream.value, position, self.block_number))
        except OSError as exc:
            # Counting goes on; only a restart would start "now" instead of where it stood.
            if not self.events["position_not_saved"]:
                log.warning("node position not saved to %s: %s", self.positions.path, exc)
            self.events["position_not_saved"] += 1

    def close(self) -> None:
        if self.follower is not None:
            self.follower.close()
