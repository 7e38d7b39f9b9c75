"""Typed parsing of `vaultDetails` and `portfolio` responses.

Both carry the same portfolio shape: a list of `[window, {accountValueHistory, pnlHistory, vlm}]`.
`pnlHistory` is cumulative PnL since the window started; `accountValueHistory` includes deposits
and withdrawals, so PnL is only ever read from `pnlHistory`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list, to_float

VAULT_DETAILS = "vaultDetails"
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
PORTFOLIO = "portfolio"


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    time_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class PortfolioWindow:
    account_value: tuple[HistoryPoint, ...]
    pnl: tuple[HistoryPoint, ...]
    volume_usd: float | None

    @property
    def latest_pnl(self) -> HistoryPoint | None:
        return self.pnl[-1] if self.pnl else None

    @property
    def latest_account_value(self) -> HistoryPoint | None:
        return self.account_value[-1] if self.account_value else None


@dataclass(frozen=True, slots=True)
class Portfolio:
    windows: Mapping[str, PortfolioWindow]
    malformed: int


@dataclass(frozen=True, slots=True)
class VaultDetails:
    address: str
    name: str
    relationship: str
    child_addresses: tuple[str, ...]
    portfolio: Portfolio
    apr: float | None
    is_closed: bool
    malformed_children: int = 0

    @property
    def malformed(self) -> int:
        return self.portfolio.malformed + self.malformed_children

    @property
    def account_value(self) -> HistoryPoint | None:
        """The newest account-value point of any window (the last point is the request time)."""
        latest = [
            point for window in self.portfolio.windows.values() if (point := window.latest_account_value)
        ]
        return max(latest, key=lambda point: point.time_ms) if latest else None


def _history(raw: Any, request_type: str, path: str) -> tuple[list[HistoryPoint], int]:
    points: list[HistoryPoint] = []
    malformed = 0
    for index, item in enumerate(as_list(raw, request_type, path)):
        try:
            pair = as_list(item, request_type, f"{path}[{index}]")
            if len(pair) != 2 or isinstance(pair[0], bool) or not isinstance(pair[0], int):
                raise ParseError(request_type, f"{path}[{index}]", "expected [time_ms, value]")
            points.append(HistoryPoint(pair[0], to_float(pair[1], request_type, f"{path}[{index}][1]")))
        except ParseError:
            malformed += 1
    points.sort(key=lambda point: point.time_ms)
    return points, malformed


def parse_portfolio(data: Any, request_type: str = PORTFOLIO, path: str = "$") -> Portfolio:
    """Windows by name (`day`, `week`, `month`, `allTime`, `perpDay`, ...); a bad point costs that point."""
    windows: dict[str, PortfolioWindow] = {}
    malformed = 0
    for index, entry in enumerate(as_list(data, request_type, path)):
        at = f"{path}[{index}]"
        try:
            pair = as_list(entry, request_type, at)
            if len(pair) != 2 or not isinstance(pair[0], str):
                raise ParseError(request_type, at, "expected [window, {...}]")
            body = JsonObject(pair[1], request_type, f"{at}[1]")
            values, bad_values = _history(
                body.items("accountValueHistory"), request_type, f"{at}.accountValue"
            )
            pnl, bad_pnl = _history(body.items("pnlHistory"), request_type, f"{at}.pnlHistory")
        except ParseError:
            malformed += 1
            continue
        malformed += bad_values + bad_pnl
        try:
            volume = body.optional_number("vlm")
        except ParseError:
            volume = None
            malformed += 1
        windows[pair[0]] = PortfolioWindow(tuple(values), tuple(pnl), volume)
    return Portfolio(windows, malformed)


def _child_addresses(relationship: JsonObject | None) -> tuple[str, tuple[str, ...], int]:
    """(relationship type, child addresses, malformed child entries skipped)."""
    if relationship is None:
        return "normal", (), 0
    kind = relationship.optional_text("type") or "normal"
    data = relationship.optional_obj("data")
    if data is None:
        return kind, (), 0
    children: list[str] = []
    malformed = 0
    for address in data.optional_items("childAddresses"):
        if isinstance(address, str) and ADDRESS.match(address):
            children.append(address.lower())
        else:
            malformed += 1
    return kind, tuple(dict.fromkeys(children)), malformed


def parse_vault_details(data: Any) -> VaultDetails | None:
    """None for an unknown vault (the API answers `null`)."""
    if data is None:
        return None
    root = JsonObject(data, VAULT_DETAILS)
    relationship, children, bad_children = _child_addresses(root.optional_obj("relationship"))
    portfolio = (
        parse_portfolio(root.items("portfolio"), VAULT_DETAILS, "$.portfolio")
        if root.has("portfolio")
        else Portfolio({}, 0)
    )
    return VaultDetails(
        address=root.text("vaultAddress").lower(),
        name=root.optional_text("name") or "",
        relationship=relationship,
        child_addresses=children,
        portfolio=portfolio,
        apr=root.optional_number("apr"),
        is_closed=root.flag("isClosed"),
        malformed_children=bad_children,
    )
