"""Accounts over scenario time (HLP parent and children, watched and other accounts): built from the
scenario's events, read at any instant."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from exporter.replay.fills import Fill, FillMaker, Liquidation, liquidation_burst
from exporter.replay.market import Market
from exporter.replay.paths import Path
from exporter.replay.positions import PositionState, PositionTrack, RealizedChunk, sign
from exporter.replay.scenario import (
    AccountSpec,
    BackstopEvent,
    DelistEvent,
    FillsEvent,
    PositionEvent,
    PositionSpec,
    ScenarioError,
    TransferEvent,
)


@dataclass
class AccountTrack:
    address: str
    name: str
    is_vault: bool
    deposits: Path
    positions: dict[str, PositionTrack] = field(default_factory=dict)
    realized: list[RealizedChunk] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)


class Accounts:
    def __init__(self, market: Market, seed: int) -> None:
        self._market = market
        self._maker = FillMaker(seed)
        self.by_address: dict[str, AccountTrack] = {}
        self._by_name: dict[str, AccountTrack] = {}
        # Fills of accounts the scenario does not list (ADL counterparties): the venue's other side.
        self.unlisted_fills: list[tuple[str, Fill]] = []

    def add(self, spec: AccountSpec, is_vault: bool, where: str) -> AccountTrack:
        if spec.address in self.by_address:
            raise ScenarioError(f"{where}: address {spec.address} is used twice")
        if spec.name in self._by_name:
            raise ScenarioError(f"{where}: account name {spec.name!r} is used twice")
        track = AccountTrack(spec.address, spec.name, is_vault, Path(spec.deposits))
        for index, position in enumerate(spec.positions):
            self._add_initial_position(track, position, f"{where}.positions.{index}")
        self.by_address[track.address] = track
        self._by_name[track.name] = track
        return track

    def _add_initial_position(self, track: AccountTrack, spec: PositionSpec, where: str) -> None:
        coin = self._market.coin(spec.coin, where)
        if spec.coin in track.positions:
            raise ScenarioError(f"{where}: {spec.coin} position listed twice")
        entry = spec.entry_price if spec.entry_price is not None else self._market.mark_price(coin, 0.0)
        track.positions[spec.coin] = PositionTrack(
            spec.coin, Path(spec.size), Path(entry), spec.leverage, spec.margin
        )

    def find(self, key: str, where: str) -> AccountTrack:
        track = self.by_address.get(key.lower()) or self._by_name.get(key)
        if track is None:
            raise ScenarioError(
                f"{where}: unknown account {key!r} (give an address or a name from the scenario)"
            )
        return track

    # --- compiling events ---

    def apply_transfer(self, event: TransferEvent, where: str) -> None:
        track = self.find(event.account, where)
        track.deposits.step(event.at, track.deposits.value_at(event.at) + event.usd)

    def apply_position(self, event: PositionEvent, where: str) -> None:
        track = self.find(event.account, where)
        coin = self._market.coin(event.coin, where)
        mark = self._market.mark_price(coin, event.at)
        position = track.positions.get(event.coin)
        if position is None:
            position = PositionTrack(event.coin, Path(0.0), Path(mark), event.leverage or 10, "cross")
            track.positions[event.coin] = position
        elif event.leverage is not None:
            position.leverage = event.leverage
        start_size = position.size.value_at(event.at)
        start_entry = position.entry.value_at(event.at)
        price = event.entry_price if event.entry_price is not None else mark
        same_side = start_size * event.size > 0
        if same_side and abs(event.size) > abs(start_size):
            added = abs(event.size) - abs(start_size)
            position.entry.step(event.at, (abs(start_size) * start_entry + added * price) / abs(event.size))
        elif same_side or (start_size != 0 and event.size == 0):
            closed = abs(start_size) - abs(event.size)
            track.realized.append(
                RealizedChunk(
                    event.coin, event.at, event.at + event.over, closed, start_entry, sign(start_size)
                )
            )
        else:
            if start_size != 0:  # a flip: close the old side, open the new one at `price`
                track.realized.append(
                    RealizedChunk(
                        event.coin, event.at, event.at, abs(start_size), start_entry, sign(start_size)
                    )
                )
            position.entry.step(event.at, price)
        position.size.ramp(event.at, event.size, event.over)
        self._position_fills(track, event, start_size, start_entry)

    def _position_fills(
        self, track: AccountTrack, event: PositionEvent, start_size: float, entry: float
    ) -> None:
        if event.fills == 0:
            return
        coin = self._market.coin(event.coin, "")
        change = (event.size - start_size) / event.fills
        for k in range(event.fills):
            time = event.at + event.over * (k + 1) / event.fills
            before = start_size + change * k
            px = event.entry_price if event.entry_price is not None else self._market.mark_price(coin, time)
            closing = before * change < 0
            side: Literal["B", "A"] = "B" if change > 0 else "A"
            if closing:
                direction = "Close Long" if before > 0 else "Close Short"
                closed_pnl = abs(change) * (px - entry) * sign(before)
            else:
                direction = "Open Long" if change > 0 else "Open Short"
                closed_pnl = 0.0
            track.fills.append(
                self._maker.make(
                    time, event.coin, px, abs(change), side, direction, before, closed_pnl, True, None
                )
            )

    def apply_backstop(self, event: BackstopEvent, where: str) -> None:
        victim = self.find(event.account, where)
        liquidator = self.find(event.liquidator, where)
        coin = self._market.coin(event.coin, where)
        position = victim.positions.get(event.coin)
        size = position.size.value_at(event.at) if position is not None else 0.0
        if position is None or size == 0:
            raise ScenarioError(f"{where}: {victim.name} holds no {event.coin} position at {event.at}s")
        mark = self._market.mark_price(coin, event.at)
        entry = position.entry.value_at(event.at)
        # The liquidated account keeps `remaining_equity`: its margin is not returned.
        rest = (
            self.account_value(victim, event.at) - victim.deposits.value_at(event.at) - size * (mark - entry)
        )
        victim.deposits.step(event.at, event.remaining_equity - rest)
        position.size.step(event.at, 0.0)

        taken = liquidator.positions.get(event.coin)
        if taken is None:
            taken = PositionTrack(event.coin, Path(0.0), Path(event.price), position.leverage, "cross")
            liquidator.positions[event.coin] = taken
        held = taken.size.value_at(event.at)
        held_entry = taken.entry.value_at(event.at)
        if held * size > 0:
            taken.entry.step(event.at, (abs(held) * held_entry + abs(size) * event.price) / abs(held + size))
        else:
            taken.entry.step(event.at, event.price)
        taken.size.step(event.at, held + size)
        direction = f"Liquidated {position.margin.capitalize()} {'Long' if size > 0 else 'Short'}"
        liquidation = Liquidation(victim.address, mark, "backstop")
        side: Literal["B", "A"] = "B" if size > 0 else "A"
        liquidator.fills.append(
            self._maker.make(
                event.at, event.coin, event.price, abs(size), side, direction, held, 0.0, True, liquidation
            )
        )

    def apply_fills(self, event: FillsEvent, where: str) -> None:
        track = self.find(event.account, where)
        coins = self._market.select(event.coins, event.at, where)
        if not coins:
            raise ScenarioError(f"{where}: no listed coins to fill")
        held = {name: position.size.value_at(event.at) for name, position in track.positions.items()}
        burst = liquidation_burst(event, track.address, coins, self._market, held, self._maker)
        track.fills += burst.own
        for index, counterpart in enumerate(burst.counterparts):
            if index < len(event.counterparties):
                self._deleverage(self.find(event.counterparties[index], where), counterpart, where)
            else:
                self.unlisted_fills.append((self._maker.random_address(), counterpart))

    def _deleverage(self, track: AccountTrack, fill: Fill, where: str) -> None:
        """A listed account's profitable position closed by ADL: its fill, its position reduced."""
        position = track.positions.get(fill.coin)
        size = position.size.value_at(fill.time) if position is not None else 0.0
        closing = fill.sz if fill.side == "A" else -fill.sz
        if position is None or size * closing <= 0:
            raise ScenarioError(
                f"{where}: {track.name} is deleveraged in {fill.coin} but holds no "
                f"{'long' if fill.side == 'A' else 'short'} {fill.coin} position at {fill.time}s"
            )
        entry = position.entry.value_at(fill.time)
        closed = min(abs(size), fill.sz)
        gain = closed * (fill.px - entry) * sign(size)
        track.fills.append(replace(fill, start_position=size, closed_pnl=gain, sz=closed))
        track.realized.append(RealizedChunk(fill.coin, fill.time, fill.time, closed, entry, sign(size)))
        position.size.step(fill.time, size - closed * sign(size))

    def apply_delist(self, event: DelistEvent) -> None:
        """Validators settle every open position in the coin at the settlement price."""
        for track in self.by_address.values():
            position = track.positions.get(event.coin)
            if position is None:
                continue
            size = position.size.value_at(event.at)
            if size == 0:
                continue
            entry = position.entry.value_at(event.at)
            gain = size * (event.settle_price - entry)
            track.deposits.step(event.at, track.deposits.value_at(event.at) + gain)
            position.size.step(event.at, 0.0)

    def finish(self) -> None:
        for track in self.by_address.values():
            track.fills.sort(key=lambda fill: (fill.time, fill.tid))
        self.unlisted_fills.sort(key=lambda item: (item[1].time, item[1].tid))

    def venue_fills(self) -> list[tuple[str, Fill]]:
        """Every fill of the scenario with its account, listed or not, oldest first (a node's view)."""
        listed = [(track.address, fill) for track in self.by_address.values() for fill in track.fills]
        return sorted([*listed, *self.unlisted_fills], key=lambda item: (item[1].time, item[1].tid))

    # --- reading state ---

    def positions_at(self, track: AccountTrack, time: float) -> list[PositionState]:
        states = []
        for position in track.positions.values():
            size = position.size.value_at(time)
            coin = self._market.by_name[position.coin]
            if abs(size) < 10.0 ** -(coin.spec.sz_decimals + 1):
                continue
            states.append(
                PositionState(
                    coin=position.coin,
                    size=size,
                    entry=position.entry.value_at(time),
                    mark=self._market.mark_price(coin, time),
                    leverage=min(position.leverage, coin.spec.max_leverage),
                    margin=position.margin,
                    max_leverage=coin.spec.max_leverage,
                    sz_decimals=coin.spec.sz_decimals,
                )
            )
        return states

    def realized_pnl(self, track: AccountTrack, time: float) -> float:
        return sum(chunk.value_at(time, self._market) for chunk in track.realized)

    def account_value(self, track: AccountTrack, time: float) -> float:
        upnl = sum(state.unrealized_pnl for state in self.positions_at(track, time))
        return track.deposits.value_at(time) + self.realized_pnl(track, time) + upnl
