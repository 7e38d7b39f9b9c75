"""A non-validating node's fill output, written the way the node writes it: one file per hour,
`{data_dir}/node_fills_by_block/hourly/{YYYYMMDD}/{hour}` (one JSON line per block,
`{"local_time","block_time","block_number","events":[[user, fill], ...]}`) or
`{data_dir}/node_fills/hourly/{YYYYMMDD}/{hour}` (one `[user, fill]` line per fill), each line flushed
as written (the node's `--disable-output-file-buffering`).

Used by the simulator (`--node-data-dir`), the archive replay, the tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from exporter.node.config import NodeStream
from exporter.node.source import stream_root

Event = tuple[str, dict[str, Any]]


def hour_name(time_s: float) -> str:
    moment = datetime.fromtimestamp(time_s, UTC)
    return f"{moment:%Y%m%d}/{moment.hour}"


def node_time(time_s: float) -> str:
    """`2025-10-10T21:16:04.831874687`: UTC, nanosecond digits, no zone (as the node writes it)."""
    whole = int(time_s)
    nanos = round((time_s - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return f"{datetime.fromtimestamp(whole, UTC):%Y-%m-%dT%H:%M:%S}.{nanos:09d}"


def block_line(
    number: int, time_s: float, events: Sequence[Event], local_time_s: float | None = None
) -> bytes:
    block = {
        "local_time": node_time(time_s if local_time_s is None else local_time_s),
        "block_time": node_time(time_s),
        "block_number": number,
        "events": [[user, fill] for user, fill in events],
    }
    return orjson.dumps(block) + b"\n"


class NodeFileWriter:
    """Appends lines to the hour file of their time, creating directories as the node does."""

    def __init__(self, data_dir: Path, stream: NodeStream = NodeStream.FILLS_BY_BLOCK) -> None:
        self.root = stream_root(data_dir, stream)
        self.stream = stream
        self._name: str | None = None
        self._handle: IO[bytes] | None = None

    def _file(self, time_s: float) -> IO[bytes]:
        name = hour_name(time_s)
        if name != self._name or self._handle is None:
            self.close()
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("ab")
            self._name = name
        return self._handle

    def write_raw(self, time_s: float, data: bytes) -> None:
        handle = self._file(time_s)
        handle.write(data)
        handle.flush()

    def write_block(self, number: int, time_s: float, events: Sequence[Event]) -> None:
        if self.stream is NodeStream.FILLS_BY_BLOCK:
            self.write_raw(time_s, block_line(number, time_s, events))
        else:
            self.write_raw(time_s, b"".join(orjson.dumps([user, fill]) + b"\n" for user, fill in events))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def counterpart(user: str, fill: dict[str, Any]) -> Event | None:
    """The other side of a liquidation or ADL fill, as the node holds it beside this one: a simulated
    scenario has only the monitored account's side.

    - an Auto-Deleveraging fill: the underwater account's own fill (naming itself as liquidatedUser);
    - a fill naming another account as liquidatedUser (a backstop takeover, a maker of a market
      liquidation): that account's own liquidation fill.
    """
    liquidation = fill.get("liquidation")
    if not isinstance(liquidation, dict) or not liquidation.get("liquidatedUser"):
        return None
    other = str(liquidation["liquidatedUser"]).lower()
    if other == user:
        return None
    side = "A" if fill.get("side") == "B" else "B"
    start = -float(fill.get("startPosition") or 0.0)
    closing = "Long" if side == "A" else "Short"
    mirrored = {
        **fill,
        "side": side,
        "startPosition": repr(start),
        "dir": f"Liquidated Cross {closing}",
        "closedPnl": "0.0",
        "crossed": True,
        "liquidation": {**liquidation, "liquidatedUser": other},
    }
    return other, mirrored
