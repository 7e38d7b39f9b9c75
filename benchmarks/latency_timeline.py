"""Observations of metric-shaped facts over time, as seen at one stage of the alert path.

Every stage that sees the raw signal (the simulator's API, the exporter's /metrics, Prometheus's stored
samples) is turned into the same shape: a series of snapshots, each a set of samples named like the
exporter's metrics. One condition per alert can then be evaluated on every stage alike.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

# Prometheus looks back this far for an instant vector's latest sample.
LOOKBACK_SECONDS = 300.0


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


Snapshot = dict[str, list[Sample]]


def snapshot_of(samples: Iterable[Sample]) -> Snapshot:
    by_name: Snapshot = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    return by_name


class Timeline:
    """Snapshots in time order (wall-clock epoch seconds). Safe to append from one probe thread."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self._snapshots: list[Snapshot] = []
        self._lock = threading.Lock()

    def add(self, at: float, snapshot: Snapshot) -> None:
        with self._lock:
            if self._times and at < self._times[-1]:
                raise ValueError(f"snapshot at {at} is older than the last one at {self._times[-1]}")
            self._times.append(at)
            self._snapshots.append(snapshot)

    def __len__(self) -> int:
        return len(self._times)

    def snapshot_at(self, at: float) -> Snapshot | None:
        """The latest snapshot taken at or before `at`, if it is within the lookback."""
        with self._lock:
            index = bisect.bisect_right(self._times, at) - 1
            if index < 0 or at - self._times[index] > LOOKBACK_SECONDS:
                return None
            return self._snapshots[index]

    def times_between(self, start: float, end: float) -> list[float]:
        """Times of the snapshots taken in [start, end], oldest first."""
        with self._lock:
            return self._times[bisect.bisect_left(self._times, start) : bisect.bisect_right(self._times, end)]

    def first(self, condition: Callable[[View], bool], since: float | None = None) -> float | None:
        """Time of the first snapshot (taken at or after `since`) at which `condition` holds."""
        with self._lock:
            times = list(self._times)
        for at in times:
            if (since is None or at >= since) and condition(View(self, at)):
                return at
        return None


@dataclass(frozen=True)
class View:
    """The facts a stage showed at `now`, and (for rate-like conditions) what it showed earlier."""

    timeline: Timeline
    now: float

    def samples(self, name: str, seconds_ago: float = 0.0) -> list[Sample]:
        snapshot = self.timeline.snapshot_at(self.now - seconds_ago)
        return [] if snapshot is None else snapshot.get(name, [])

    def looking_back(self, seconds: float) -> Iterator[View]:
        """A view of every snapshot taken in the last `seconds` (a range vector's window), newest first."""
        for at in reversed(self.timeline.times_between(self.now - seconds, self.now)):
            yield View(self.timeline, at)

    def by(self, name: str, label: str, seconds_ago: float = 0.0) -> dict[str, float]:
        """The largest value per value of `label` (Prometheus `max by (label)`)."""
        result: dict[str, float] = {}
        for sample in self.samples(name, seconds_ago):
            key = sample.labels.get(label, "")
            result[key] = max(result.get(key, sample.value), sample.value)
        return result
