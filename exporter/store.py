"""The latest snapshot of every poller and its health: what a scrape reads, never writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exporter.exposition import RenderedFamily, join_pieces


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
    failure_kind: str | None = None


@dataclass
class SnapshotStore:
    clock: Callable[[], float] = time.time
    health: dict[str, PollerHealth] = field(default_factory=dict)
    _snapshots: dict[str, Snapshot] = field(default_factory=dict)

    def register(self, health: PollerHealth) -> None:
        if health.name in self.health:
            raise ValueError(f"two pollers are named {health.name}")
        self.health[health.name] = health

    def publish(self, snapshot: Snapshot) -> None:
        # Replacing the reference is atomic for readers: a scrape sees the old or the new piece.
        self._snapshots[snapshot.poller] = snapshot

    def fresh_pieces(self) -> list[Mapping[str, RenderedFamily]]:
        now = self.clock()
        return [
            snapshot.families
            for name, snapshot in self._snapshots.items()
            if now - snapshot.observed_at <= self.health[name].max_age
        ]

    def exposition(self, extra: Mapping[str, RenderedFamily] | None = None) -> bytes:
        pieces = self.fresh_pieces()
        if extra:
            pieces.append(extra)
        return join_pieces(pieces)

    def carry_over(self, previous: SnapshotStore) -> None:
        """After a reload: keep the state and latest snapshot of pollers that exist in both stores."""
        for name, health in self.health.items():
            old = previous.health.get(name)
            if old is None:
                continue
            health.attempted, health.succeeded = old.attempted, old.succeeded
            health.last_success, health.last_duration = old.last_success, old.last_duration
            health.failure_kind = old.failure_kind
            if name in previous._snapshots:
                self._snapshots[name] = previous._snapshots[name]

    @property
    def ready(self) -> bool:
        return all(health.attempted for health in self.health.values())
