"""Typed parsing of `clearinghouseState`: an account's value and its open perp positions.

Accepts the 2023 shape (no `crossMaintenanceMarginUsed`, `time` or `cumFunding`, an extra
`maxTradeSzs`) and newer ones. A malformed position costs that position only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject

CLEARINGHOUSE_STATE = "clearinghouseState"


@dataclass(frozen=True, slots=True)
class Position:
    coin: str
    size: float  # signed, in coins: negative is short
    position_value_usd: float  # absolute notional at mark
    unrealized_pnl_usd: float
    liquidation_price_usd: float | None
    entry_price_usd: float | None
    leverage_type: str | None
    leverage: float | None


@dataclass(frozen=True, slots=True)
class AccountState:
    account_value_usd: float
    cross_account_value_usd: float | None
    cross_maintenance_margin_used_usd: float | None
    withdrawable_usd: float | None
    positions: tuple[Position, ...]
    malformed: int


def _position(item: Any, path: str) -> Position:
    wrapper = JsonObject(item, CLEARINGHOUSE_STATE, path)
    position = wrapper.obj("position")
    leverage = position.optional_obj("leverage")
    return Position(
        coin=position.text("coin"),
        size=position.number("szi"),
        position_value_usd=abs(position.number("positionValue")),
        unrealized_pnl_usd=position.number("unrealizedPnl"),
        liquidation_price_usd=position.optional_number("liquidationPx"),
        entry_price_usd=position.optional_number("entryPx"),
        leverage_type=leverage.optional_text("type") if leverage else None,
        leverage=leverage.optional_number("value") if leverage else None,
    )


def parse_clearinghouse_state(data: Any) -> AccountState:
    root = JsonObject(data, CLEARINGHOUSE_STATE)
    margin = root.obj("marginSummary")
    cross = root.optional_obj("crossMarginSummary")
    positions: dict[str, Position] = {}
    malformed = 0
    for index, item in enumerate(root.items("assetPositions")):
        try:
            position = _position(item, f"$.assetPositions[{index}]")
        except ParseError:
            malformed += 1
            continue
        # One account holds one position per coin; a repeat would duplicate a series.
        if position.coin in positions:
            malformed += 1
            continue
        positions[position.coin] = position
    return AccountState(
        account_value_usd=margin.number("accountValue"),
        cross_account_value_usd=cross.optional_number("accountValue") if cross else None,
        cross_maintenance_margin_used_usd=root.optional_number("crossMaintenanceMarginUsed"),
        withdrawable_usd=root.optional_number("withdrawable"),
        positions=tuple(positions.values()),
        malformed=malformed,
    )
