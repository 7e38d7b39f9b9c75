"""Liquidation, auto-deleveraging and realized-PnL totals from monitored accounts' fills.

Each fill is read as one account's fill and classified by whose side it is on
(`Fill.side_for`, after the venue's own records):
- venue-level auto-deleveraging (`auto_deleverages`, by coin): an ADL trade seen on either side,
  an `Auto-Deleveraging` fill of a monitored account or an HLP liquidator's own inventory closed
  (its fill naming itself as `liquidatedUser`: the backstop was exhausted). The two sides of one
  trade share its `tid`, so a trade seen on both counts once. A liquidator's own inventory closed
  is never a backstop liquidation;
- liquidations (`liquidations`, by coin and method): a backstop takeover or a market liquidation
  seen on a taker's or maker's fill, or a watched account's own liquidation. One liquidation shows
  on several fills (every maker's, and the liquidated account's own) with one hash: counted once;
- per account: how often it was deleveraged (and the account whose loss its last ADL covered), how
  often it was liquidated, and its realized profit and loss (closed PnL less fees, which moves with
  trading only, never with transfers: the HLP liquidator's drawdown is judged from it).

A coin's or method's series that was never on /metrics (a new coin or method) waits with its first
increments until it has been published at 0, so `increase()` sees the first event. An account's
series by coin appear with their first event (the coin cannot be known before): the alert rules
read a series that appears with a count as an increase.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from prometheus_client.metrics_core import CounterMetricFamily

from exporter.hyperliquid.fills import LIQUIDATION_METHODS, ZERO_HASH, Fill, FillKey, FillSide

# Events and trades remembered to count each once across several accounts' fills.
MAX_REMEMBERED_EVENTS = 50_000

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class EventTotals:
    count: int = 0
    notional_usd: float = 0.0


def totals_families(
    names: tuple[str, str],
    helps: tuple[str, str],
    labels: list[str],
    series: Iterable[tuple[str, ...]],
    totals: Callable[[tuple[str, ...]], EventTotals],
) -> tuple[CounterMetricFamily, CounterMetricFamily]:
    """An event counter and its USD notional counter, one sample each per series."""
    count = CounterMetricFamily(names[0], helps[0], labels=labels)
    notional = CounterMetricFamily(names[1], helps[1], labels=labels)
    for key in series:
        found = totals(key)
        count.add_metric(list(key), float(found.count))
        notional.add_metric(list(key), found.notional_usd)
    return count, notional


class ZeroFirstTotals(Generic[K]):
    """Totals by series key; increments to a series not yet published wait until it has been shown at 0."""

    def __init__(self) -> None:
        self._shown: set[K] = set()
        self._applied: dict[K, EventTotals] = {}
        self._pending: dict[K, EventTotals] = {}

    def add(self, key: K, count: int, notional_usd: float) -> None:
        target = self._applied if key in self._shown else self._pending
        totals = target.setdefault(key, EventTotals())
        totals.count += count
        totals.notional_usd += notional_usd

    def series(self) -> set[K]:
        return set(self._applied) | set(self._pending)

    def get(self, key: K) -> EventTotals:
        """What /metrics shows for the series now (held-back increments excluded)."""
        return self._applied.get(key) or EventTotals()

    def published(self, keys: Iterable[K]) -> None:
        """These series are on /metrics: increments held back for them count from the next render."""
        for key in keys:
            self._shown.add(key)
            pending = self._pending.pop(key, None)
            if pending is not None:
                totals = self._applied.setdefault(key, EventTotals())
                totals.count += pending.count
                totals.notional_usd += pending.notional_usd


@dataclass(frozen=True, slots=True)
class CoveredLoss:
    """The account whose loss an ADL of a monitored account covered, and when (ms)."""

    liquidated_user: str
    time_ms: int


class RememberedKeys:
    """Keys seen recently, in bounded memory."""

    def __init__(self, limit: int = MAX_REMEMBERED_EVENTS) -> None:
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._limit = limit

    def first_time(self, key: Hashable) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._limit:
            self._keys.popitem(last=False)
        return True


class EventCounters:
    """Running totals since start-up, fed with (account, fill) from any source (REST polls, streams).

    Duplicates within one account's history are the caller's to drop (its cursor, or the stream's
    gate keyed by account and trade); duplicates across accounts (the two sides of one trade, the
    makers of one liquidation) are dropped here.
    """

    def __init__(self, is_liquidator: Callable[[str], bool] = lambda _account: False) -> None:
        self.is_liquidator = is_liquidator
        self.liquidations: ZeroFirstTotals[tuple[str, str]] = ZeroFirstTotals()  # (coin, method)
        self.auto_deleverages: ZeroFirstTotals[str] = ZeroFirstTotals()  # coin
        # (account, coin): published with their first event, not held back, since a coin an account is
        # deleveraged in cannot be known before; the alert rules catch a series that appears with it.
        self.account_deleverages: defaultdict[tuple[str, str], EventTotals] = defaultdict(EventTotals)
        self.account_liquidations: defaultdict[tuple[str, str], EventTotals] = defaultdict(EventTotals)
        # By account: USD in `notional_usd`, fills in `count`.
        self.realized_profit: ZeroFirstTotals[str] = ZeroFirstTotals()
        self.realized_loss: ZeroFirstTotals[str] = ZeroFirstTotals()
        self.covered_losses: dict[tuple[str, str], CoveredLoss] = {}  # (account, coin) -> last ADL's
        self._events = RememberedKeys()
        self._trades = RememberedKeys()

    @property
    def coins(self) -> set[str]:
        """Every coin with a counted or held-back event."""
        return {coin for coin, _ in self.liquidations.series()} | self.auto_deleverages.series()

    @property
    def methods(self) -> tuple[str, ...]:
        """The two documented methods, then any other seen, in the order first seen."""
        return tuple(dict.fromkeys((*LIQUIDATION_METHODS, *(m for _, m in self.liquidations.series()))))

    def add(self, account: str, fill: Fill) -> None:
        """One fill of `account` (lower-case address), never seen before for that account."""
        self._realized(account, fill)
        side = fill.side_for(account)
        if side is FillSide.ORDINARY:
            return
        first_sight_of_trade = self._trades.first_time(fill.trade_key)
        if side is FillSide.DELEVERAGED:
            self._account_event(self.account_deleverages, account, fill)
            if fill.liquidation is not None and fill.liquidation.liquidated_user:
                self.covered_losses[(account, fill.coin)] = CoveredLoss(
                    fill.liquidation.liquidated_user, fill.time_ms
                )
            self._venue_adl(fill, first_sight_of_trade)
            return
        if side is FillSide.LIQUIDATED:
            self._account_event(self.account_liquidations, account, fill)
            if self.is_liquidator(account):
                # HLP's own inventory closed: the backstop is exhausted. ADL, never a backstop liquidation.
                self._venue_adl(fill, first_sight_of_trade)
                return
        self._liquidation(fill, first_sight_of_trade)

    def count(self, account: str, fills: Iterable[Fill]) -> None:
        for fill in fills:
            self.add(account, fill)

    @staticmethod
    def _account_event(totals: dict[tuple[str, str], EventTotals], account: str, fill: Fill) -> None:
        event = totals[(account, fill.coin)]
        event.count += 1
        event.notional_usd += fill.notional_usd

    def _venue_adl(self, fill: Fill, first_sight_of_trade: bool) -> None:
        if first_sight_of_trade:
            self.auto_deleverages.add(fill.coin, 1, fill.notional_usd)

    def _liquidation(self, fill: Fill, first_sight_of_trade: bool) -> None:
        assert fill.liquidation is not None
        liquidation = fill.liquidation
        # A market liquidation shows on every resting maker's fill (and the liquidated account's own),
        # all with the liquidation's hash: one event. Its notional adds once per trade.
        event: FillKey = (
            ("liquidation", fill.hash, liquidation.liquidated_user, fill.coin)
            if fill.hash and fill.hash != ZERO_HASH
            else fill.trade_key
        )
        counts = self._events.first_time(event)
        notional = fill.notional_usd if first_sight_of_trade else 0.0
        if counts or notional:
            self.liquidations.add((fill.coin, liquidation.method), int(counts), notional)

    def _realized(self, account: str, fill: Fill) -> None:
        net = fill.closed_pnl_usd - fill.fee_usd
        if net >= 0:
            self.realized_profit.add(account, 1, net)
        else:
            self.realized_loss.add(account, 1, -net)
