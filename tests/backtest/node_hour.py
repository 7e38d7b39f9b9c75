"""A short node hour for the backtest: the real ADL block of 10 Oct 2025 (tests/fixtures/node) between
generated blocks in the node's line format (one a second, ordinary fills and one market liquidation)."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.replay.node_files import block_line
from tests.node.support import BLOCK_TIME, fill, fixture_line

FIXTURE_BLOCK = 758800641
LIQUIDATED = "0x" + "5a" * 20
TRADER = "0x" + "7b" * 20


def _ordinary(k: int) -> list[tuple[str, dict[str, object]]]:
    time_ms = round((BLOCK_TIME + k) * 1000)
    body = fill("BTC", "121000.0", "0.01", tid=10_000 + k, hash_=f"0x{k + 100:064x}", time_ms=time_ms)
    return [(TRADER, body)]


def _liquidation(k: int) -> list[tuple[str, dict[str, object]]]:
    """A market liquidation of an ETH long, on the liquidated account's own fill."""
    time_ms = round((BLOCK_TIME + k) * 1000)
    body = fill(
        "ETH",
        "3800.0",
        "20.0",
        tid=20_000 + k,
        hash_=f"0x{k + 900:064x}",
        direction="Liquidated Cross Long",
        liquidated_user=LIQUIDATED,
        method="market",
        time_ms=time_ms,
    )
    return [(LIQUIDATED, body)]


def write_node_hour(path: Path, seconds_before: int = 20, seconds_after: int = 30) -> Path:
    """Blocks a second apart from `seconds_before` before the real ADL block to `seconds_after` after it."""
    lines = []
    for k in range(-seconds_before, seconds_after + 1):
        if k == 0:
            lines.append(json.dumps(fixture_line(), separators=(",", ":")).encode() + b"\n")
            continue
        events = _ordinary(k) + (_liquidation(k) if k == -10 else [])
        lines.append(block_line(FIXTURE_BLOCK + 10 * k, BLOCK_TIME + k, events))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(lines))
    return path
