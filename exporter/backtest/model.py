"""What one backtest found: the panels' traces and the alerts' firing intervals, on one time axis."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Timeline:
    """Maps Prometheus' wall-clock times to the report's x axis.

    A scenario run is compressed (`speed` scenario seconds per wall second): its axis is scenario
    seconds. A recorded range is shown in UTC. A node hour is compressed too, and shown in the chain's
    UTC time: `utc_at_zero` is the chain time of wall time `scenario_zero_wall`.
    """

    scenario_zero_wall: float | None = None
    speed: float = 1.0
    utc_at_zero: float | None = None

    @property
    def is_scenario(self) -> bool:
        return self.scenario_zero_wall is not None and self.utc_at_zero is None

    def _utc(self, wall: float) -> datetime:
        if self.scenario_zero_wall is not None and self.utc_at_zero is not None:
            wall = self.utc_at_zero + (wall - self.scenario_zero_wall) * self.speed
        return datetime.fromtimestamp(wall, UTC)

    def x(self, wall: float) -> float | str:
        if self.is_scenario:
            assert self.scenario_zero_wall is not None
            return round((wall - self.scenario_zero_wall) * self.speed, 3)
        return self._utc(wall).isoformat()

    def seconds(self, wall_duration: float) -> float:
        """A wall-clock duration in the source's own seconds (scenario seconds for a scenario)."""
        return wall_duration * self.speed

    def label(self, wall: float) -> str:
        if self.is_scenario:
            return f"t={self.x(wall):.0f} s"
        return self._utc(wall).strftime("%Y-%m-%d %H:%M:%S UTC")

    @property
    def axis_title(self) -> str:
        if self.is_scenario:
            return "scenario time (s)"
        return "chain time (UTC)" if self.utc_at_zero is not None else "time (UTC)"


@dataclass(frozen=True)
class Trace:
    name: str
    x: list[float | str]
    y: list[float]


@dataclass(frozen=True)
class PanelData:
    key: str
    title: str
    unit: str
    traces: list[Trace]


@dataclass(frozen=True)
class AlertInterval:
    alertname: str
    severity: str
    # The alert's identifying labels beyond name and severity (coin, account, ...).
    labels: tuple[tuple[str, str], ...]
    start: float  # wall epoch seconds of the first firing evaluation
    end: float  # of the last one seen
    still_firing: bool  # at the end of the range
    crossed_at: float  # when its condition first held (pending), or `start` without `for`
    value: float | None  # the alert expression's value then

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (self.alertname, self.severity, self.labels)

    @property
    def label_text(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.labels) or "(venue)"


@dataclass
class Backtest:
    title: str
    source: str
    rules: str
    timeline: Timeline
    start: float  # wall epoch seconds of the range
    end: float
    onset: float | None  # wall epoch seconds of the incident's onset
    panels: list[PanelData] = field(default_factory=list)
    alerts: list[AlertInterval] = field(default_factory=list)
    # Panels this source cannot have data for (not queried, not drawn): title -> why.
    not_drawn: dict[str, str] = field(default_factory=dict)
