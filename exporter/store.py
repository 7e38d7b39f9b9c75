"""The latest snapshot of every poller and its health: what a scrape reads, never writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exporter.exposition import NOTHING_JOINED, Exposition, JoinedPieces, RenderedFamily, join_pieces
from exporter.failure_tracker import FailureTracker


@dataclass(frozen=True, slots=True)
class Snapshot:
    poller: str
    observed_at: float
    families: Mapping[str, RenderedFamily]


@dataclass(slots=True)
class PollerHealth:
    name: str
    collector: str
    interval: float
    max_age: float
    planned_weight_per_minute: float
    attempted: bool = False
    succeeded: bool = False
    last_success: float = 0.0
    last_duration: float = 0.0
    failure: FailureTracker = field(default_factory=FailureTracker)
    registered_at: float = 0.0  # when the store began to expect this poller's data

    @property
    def data_expiry(self) -> float:
        """When this poller's data leaves /metrics unless a poll succeeds first.

        Before the first success, data is expected within one maximum age of registration: a
        collector that never delivers is reported like one whose data went away.
        """
        return max(self.last_success, self.registered_at) + self.max_age


@dataclass
class SnapshotStore:
    clock: Callable[[], float] = time.time
    health: dict[str, PollerHealth] = field(default_factory=dict)
    _snapshots: dict[str, Snapshot] = field(default_factory=dict)
    _joined: JoinedPieces = NOTHING_JOINED

    def register(self, health: PollerHealth) -> None:
        if health.name in self.health:
            raise ValueError(f"two pollers are named {health.name}")
        health.registered_at = self.clock()
        self.health[health.name] = health

    def publish(self, snapshot: Snapshot) -> None:
        # Replacing the reference is atomic for readers: a scrape sees the old or the new piece.
        self._snapshots[snapshot.poller] = snapshot

    def _fresh(self, snapshot: Snapshot, now: float) -> bool:
        return now - snapshot.observed_at <= self.health[snapshot.poller].max_age

    def fresh_pieces(self) -> list[Mapping[str, RenderedFamily]]:
        now = self.clock()
        return [snapshot.families for snapshot in self._snapshots.values() if self._fresh(snapshot, now)]

    def published(self, poller: str) -> bool:
        """True while this poller's latest snapshot is on /metrics (not withdrawn as too old)."""
        snapshot = self._snapshots.get(poller)
        return snapshot is not None and self._fresh(snapshot, self.clock())

    def healthy(self, health: PollerHealth) -> bool:
        """What success gauges report: the last poll succeeded AND its data is still published.

        Whatever stops a poller (a hung request, a long pause, a dead task), success falls to 0
        no later than the moment its data is withdrawn, so success 1 never reports missing data.
        """
        return health.succeeded and self.published(health.name)

    def exposition(self, extra: Mapping[str, RenderedFamily] | None = None) -> bytes:
        return self.render(extra).identity()

    def render(self, extra: Mapping[str, RenderedFamily] | None = None) -> Exposition:
        """The fresh pieces, joined again only when one was published or withdrawn, then `extra`."""
        pieces = self.fresh_pieces()
        if not self._joined.holds(pieces):
            self._joined = JoinedPieces.of(pieces)
        if not extra:
            return Exposition(self._joined)
        if not self._joined.names.isdisjoint(extra):
            # A name in both must be joined under one header: no reuse for this scrape.
            return Exposition.of(join_pieces([*pieces, extra]))
        return Exposition(self._joined, join_pieces([extra]))

    def carry_over(self, previous: SnapshotStore) -> None:
        """After a reload: keep the state and latest snapshot of pollers that exist in both stores."""
        for name, health in self.health.items():
            old = previous.health.get(name)
            if old is None:
                continue
            health.attempted, health.succeeded = old.attempted, old.succeeded
            health.last_success, health.last_duration = old.last_success, old.last_duration
            health.failure, health.registered_at = FailureTracker(old.failure.current), old.registered_at
            if name in previous._snapshots:
                self._snapshots[name] = previous._snapshots[name]

    @property
    def ready(self) -> bool:
        return all(health.attempted for health in self.health.values())
