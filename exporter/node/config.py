"""The `node:` section of config.yaml: off unless `data_dir` (the node's `~/hl/data`) is set."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class NodeStream(StrEnum):
    AUTO = "auto"  # node_fills_by_block where the node writes it, else node_fills
    FILLS_BY_BLOCK = "fills_by_block"
    FILLS = "fills"


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # The node's data directory (`~/hl/data`), mounted read-only is enough. Unset: node mode is off.
    data_dir: Path | None = None
    stream: NodeStream = NodeStream.AUTO
    # How often the newest hourly file is read: a block written is on /metrics within about this long
    # plus its parse time.
    interval_seconds: Annotated[float, Field(gt=0)] = 0.5
    # Published data older than this is withdrawn (default: 3 intervals, but never under 10 s).
    max_age_seconds: Annotated[float, Field(gt=0)] | None = None
    # Where the read position is kept across restarts (a small JSON file on a writable volume). Unset:
    # after a restart reading starts at the end of the newest file, as the other collectors start "now".
    state_file: Path | None = None
    # Bytes read per poll at most: a backlog (after a restart, or a node that wrote a burst) is read over
    # several polls, so each poll stays short and memory bounded.
    max_bytes_per_poll: Annotated[int, Field(ge=65_536)] = 32 * 1024 * 1024
    # A line longer than this is skipped and counted, never held in memory whole.
    max_line_bytes: Annotated[int, Field(ge=65_536)] = 64 * 1024 * 1024
    # A coin's counters first go out at 0; its events count once the 0 has been on /metrics this long,
    # so increase() sees the first event: at least twice the scrape interval (the shipped prometheus.yml
    # scrapes every second; this collector polls faster than Prometheus scrapes). The coins the market and
    # dexes pollers list are out from their first poll, so this delays only an unlisted coin's first events
    # and events in the first seconds after a start.
    new_series_hold_seconds: Annotated[float, Field(ge=0)] = 5.0
    # The largest liquidated accounts of the last window get their own series; the rest are summed.
    top_accounts: Annotated[int, Field(ge=0, le=100)] = 10
    top_accounts_window_seconds: Annotated[float, Field(gt=0, le=86_400)] = 3600.0

    @field_validator("data_dir", "state_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `${HL_NODE_DATA_DIR:-}` with the variable unset: node mode stays off.
        return None if value == "" else value

    @property
    def enabled(self) -> bool:
        return self.data_dir is not None

    def max_age(self) -> float:
        return self.max_age_seconds or max(3 * self.interval_seconds, 10.0)
