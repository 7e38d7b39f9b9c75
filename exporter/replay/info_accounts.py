"""Account bodies of `/info`: `clearinghouseState`, `userFills` and `userFillsByTime`."""

from __future__ import annotations

from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.fills import Fill
from exporter.replay.numbers import price_string, rate_string, size_string, usd_string
from exporter.replay.positions import PositionState, liquidation_price
from exporter.replay.timeline import Timeline

Json = Any
RECENT_FILLS_LIMIT = 2000  # userFills: the newest 2000
FILLS_REACHABLE = 10_000


class AccountBodies:
    def __init__(self, timeline: Timeline, clock: ScenarioClock) -> None:
        self._timeline = timeline
        self._clock = clock
        self._market = timeline.market
        self._accounts = timeline.accounts

    def clearinghouse_state(self, user: str, now: float, dex: str = "") -> Json:
        """With `dex` "", the first dex's positions; with a builder dex, that dex's isolated positions,
        whose margins and PnL are the account's value there."""
        track = self._timeline.account(user)
        held = self._accounts.positions_at(track, now) if track is not None else []
        positions = [p for p in held if (p.coin.split(":", 1)[0] if ":" in p.coin else "") == dex]
        if dex:
            account_value = sum(p.notional / p.leverage + p.size * (p.mark - p.entry) for p in positions)
        else:
            account_value = self._accounts.account_value(track, now) if track is not None else 0.0
        maintenance = sum(p.maintenance_margin for p in positions)
        margin_used = sum(p.notional / p.leverage for p in positions)
        total_notional = sum(p.notional for p in positions)
        raw_usd = account_value - sum(p.size * p.mark for p in positions)
        summary = {
            "accountValue": usd_string(account_value),
            "totalNtlPos": usd_string(total_notional),
            "totalRawUsd": usd_string(raw_usd),
            "totalMarginUsed": usd_string(margin_used),
        }
        asset_positions = [
            {"type": "oneWay", "position": _position(p, account_value, maintenance)} for p in positions
        ]
        return {
            "marginSummary": summary,
            "crossMarginSummary": dict(summary),
            "crossMaintenanceMarginUsed": usd_string(maintenance),
            "withdrawable": usd_string(max(0.0, account_value - margin_used)),
            "assetPositions": asset_positions,
            "time": self._clock.wall_ms(now),
        }

    def fills(self, user: str, now: float, start_ms: int | None, end_ms: int | None) -> Json:
        track = self._timeline.account(user)
        if track is None:
            return []
        visible = [fill for fill in track.fills if fill.time <= now][-FILLS_REACHABLE:]
        if start_ms is None:
            newest_first = visible[::-1][:RECENT_FILLS_LIMIT]
            return [self._fill_body(fill) for fill in newest_first]
        end = end_ms if end_ms is not None else self._clock.wall_ms(now)
        selected = []
        for fill in visible:
            ms = self._clock.wall_ms(fill.time)
            if start_ms <= ms <= end:
                selected.append(self._fill_body(fill))
                if len(selected) == self._timeline.scenario.fills_page_size:
                    break
        return selected

    def _fill_body(self, fill: Fill) -> Json:
        sz_decimals = self._market.by_name[fill.coin].spec.sz_decimals
        body: dict[str, Json] = {
            "coin": fill.coin,
            "px": price_string(fill.px, sz_decimals),
            "sz": size_string(fill.sz, sz_decimals),
            "side": fill.side,
            "time": self._clock.wall_ms(fill.time),
            "startPosition": size_string(fill.start_position, sz_decimals),
            "dir": fill.direction,
            "closedPnl": usd_string(fill.closed_pnl),
            "hash": fill.hash,
            "oid": fill.oid,
            "crossed": fill.crossed,
            "fee": usd_string(fill.fee),
            "tid": fill.tid,
            "feeToken": "USDC",
            "twapId": None,
        }
        if fill.liquidation is not None:
            liquidation: dict[str, Json] = {}
            if fill.liquidation.liquidated_user is not None:
                liquidation["liquidatedUser"] = fill.liquidation.liquidated_user
            liquidation["markPx"] = price_string(fill.liquidation.mark_px, sz_decimals)
            liquidation["method"] = fill.liquidation.method
            body["liquidation"] = liquidation
        return body


def _position(state: PositionState, account_value: float, maintenance_total: float) -> Json:
    sz = state.sz_decimals
    margin_used = state.notional / state.leverage
    # Account value less this position's PnL and the other positions' maintenance margin.
    excess = account_value - state.unrealized_pnl - (maintenance_total - state.maintenance_margin)
    liquidation = liquidation_price(state, excess)
    leverage: Json = {"type": state.margin, "value": state.leverage}
    if state.margin == "isolated":
        leverage["rawUsd"] = usd_string(margin_used - state.size * state.entry)
    return {
        "coin": state.coin,
        "szi": size_string(state.size, sz),
        "leverage": leverage,
        "entryPx": price_string(state.entry, sz),
        "positionValue": usd_string(state.notional),
        "unrealizedPnl": usd_string(state.unrealized_pnl),
        "returnOnEquity": rate_string(state.unrealized_pnl / margin_used if margin_used else 0.0),
        "liquidationPx": None if liquidation is None else price_string(liquidation, sz),
        "marginUsed": usd_string(margin_used),
        "maxLeverage": state.max_leverage,
        "cumFunding": {"allTime": "0.0", "sinceOpen": "0.0", "sinceChange": "0.0"},
    }
