"""Piecewise-linear values over scenario time: the building block of every evolving quantity."""

from __future__ import annotations

from bisect import bisect_right


class Path:
    """Keyframes (time, value); linear between them, constant before the first and after the last."""

    def __init__(self, initial: float) -> None:
        self._times: list[float] = [float("-inf")]
        self._values: list[float] = [initial]

    @classmethod
    def from_points(cls, points: list[tuple[float, float]]) -> Path:
        path = cls(points[0][1])
        for time, value in points:
            path._append(time, value)
        return path

    def value_at(self, time: float) -> float:
        index = bisect_right(self._times, time) - 1
        if index < 0:
            return self._values[0]
        if index == len(self._times) - 1:
            return self._values[index]
        t0, t1 = self._times[index], self._times[index + 1]
        v0, v1 = self._values[index], self._values[index + 1]
        if t1 == t0 or t0 == float("-inf"):
            return v0
        return v0 + (v1 - v0) * (time - t0) / (t1 - t0)

    def ramp(self, start: float, target: float, duration: float) -> None:
        """From `start` move linearly to `target` over `duration` seconds; a later ramp overrides
        whatever an earlier one had planned after its start."""
        current = self.value_at(start)
        keep = bisect_right(self._times, start)
        del self._times[keep:]
        del self._values[keep:]
        self._append(start, current)
        self._append(start + max(duration, 0.0), target)

    def step(self, start: float, target: float) -> None:
        self.ramp(start, target, 0.0)

    def _append(self, time: float, value: float) -> None:
        if self._times and self._times[-1] == time:
            # A step: keep the old value up to `time` by nudging the new keyframe just after it.
            time = time + 1e-9
        self._times.append(time)
        self._values.append(value)
