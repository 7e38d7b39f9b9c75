"""A scenario's fills written as a non-validating node's output, in real time (`--node-data-dir`).

Each scenario fill is written when the scenario clock reaches it, in a block of the fills of its
millisecond, with the other side of every liquidation and ADL fill that the scenario does not hold itself
(a node holds both sides of every trade; a scenario only the monitored accounts'). An empty block goes out
every `heartbeat_seconds` of wall time without fills, so the node's clock keeps moving in calm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from exporter.node.config import NodeStream
from exporter.replay.clock import ScenarioClock
from exporter.replay.fills import Fill
from exporter.replay.info_accounts import AccountBodies
from exporter.replay.node_files import Event, NodeFileWriter, counterpart
from exporter.replay.timeline import Timeline

FIRST_BLOCK = 800_000_000


def venue_fills(timeline: Timeline) -> list[tuple[str, Fill]]:
    """Every fill the scenario holds, by account: the listed accounts' and, where the simulator models
    them (ADL counterparties it does not list), the others', oldest first."""
    listed = [
        (track.address, fill) for track in timeline.accounts.by_address.values() for fill in track.fills
    ]
    unlisted: list[tuple[str, Fill]] = list(getattr(timeline.accounts, "unlisted_fills", []))
    return sorted([*listed, *unlisted], key=lambda item: (item[1].time, item[0], item[1].tid))


class ScenarioNodeWriter:
    def __init__(
        self,
        timeline: Timeline,
        clock: ScenarioClock,
        data_dir: Path,
        stream: NodeStream = NodeStream.FILLS_BY_BLOCK,
        heartbeat_seconds: float = 1.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._bodies = AccountBodies(timeline, clock)
        self._writer = NodeFileWriter(data_dir, stream)
        self._heartbeat = heartbeat_seconds
        self._wall = wall
        self._pending = venue_fills(timeline)
        self._sides = {(user, fill.tid) for user, fill in self._pending}
        self._next = 0
        self._block = FIRST_BLOCK
        self._last_written = 0.0
        self.blocks_written = 0

    def _events(self, items: list[tuple[str, Fill]]) -> list[Event]:
        events: list[Event] = []
        for user, fill in items:
            body = self._bodies._fill_body(fill)
            events.append((user, body))
            other = counterpart(user, body)
            if other is not None and (other[0], body["tid"]) not in self._sides:
                events.append(other)
        return events

    def _write(self, wall_s: float, events: list[Event]) -> None:
        self._block += 1
        self._writer.write_block(self._block, wall_s, events)
        self._last_written = self._wall()
        self.blocks_written += 1

    def write_due(self) -> None:
        """Every block whose scenario time has come; a heartbeat block when none came for a while."""
        now = self._clock.now()
        while self._next < len(self._pending) and self._pending[self._next][1].time <= now:
            at = self._pending[self._next][1].time
            items = []
            while self._next < len(self._pending) and self._pending[self._next][1].time == at:
                items.append(self._pending[self._next])
                self._next += 1
            self._write(self._clock.wall_ms(at) / 1000, self._events(items))
        if self._wall() - self._last_written >= self._heartbeat:
            self._write(self._wall(), [])

    def run(self, stop: threading.Event, tick_seconds: float = 0.05) -> None:
        try:
            while not stop.is_set():
                self.write_due()
                stop.wait(tick_seconds)
        finally:
            self._writer.close()


def start_in_thread(writer: ScenarioNodeWriter) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop,), name="node-writer", daemon=True)
    thread.start()
    return thread, stop
