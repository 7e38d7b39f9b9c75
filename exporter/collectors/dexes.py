"""Builder-deployed perp dexes (HIP-3): discovery, market gauges, caps, deposits and watched positions.

One poller, `dexes` (collector `dexes`), ticks every `interval_seconds`. On each tick it asks only for
what is due: `perpDexs` every `discovery_interval_seconds` (a dex that appears is covered from the
next tick, one that disappears or is denied is withdrawn at once), and per dex `metaAndAssetCtxs`,
`perpDexStatus` with `perpsAtOpenInterestCap`, `perpDexLimits` and each watched account's
`clearinghouseState`, at the intervals of `dex_schedule.plan_schedule`, which keeps them all inside
the allowance. One dex failing costs that dex's data (`hyperliquid_dex_up{dex}` 0), not the others'.

With a stream attached (`follow_stream`), each dex whose `assetCtxs` stream is live gets its contexts
pushed (`accept_pushed_contexts`) and polls `metaAndAssetCtxs` only at the slow reconciliation schedule;
a dex whose stream is down is polled at the REST schedule again from its next due request.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.collectors.dex_deployers import DeployerFamilies
from exporter.collectors.dex_schedule import DexSchedule, discovery_weight_per_minute, plan_schedule
from exporter.collectors.market import count_skipped, market_families
from exporter.config import Config, DexesCollectorConfig, WatchedAccount
from exporter.hyperliquid.accounts import CLEARINGHOUSE_STATE, AccountState, parse_clearinghouse_state
from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.dexes import (
    PERP_DEX_LIMITS,
    PERP_DEX_STATUS,
    PERP_DEXS,
    PerpDex,
    PerpDexLimits,
    parse_perp_dex_limits,
    parse_perp_dex_status,
    parse_perp_dexs,
)
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.market import (
    META_AND_ASSET_CTXS,
    OPEN_INTEREST_CAP,
    MarketData,
    parse_meta_and_asset_ctxs,
    parse_open_interest_caps,
)
from exporter.hyperliquid.spot import SpotTokens

log = logging.getLogger(__name__)
T = TypeVar("T")

COLLECTOR = "dexes"
# After a failed discovery, try again after this long rather than waiting a whole interval.
DISCOVERY_RETRY_SECONDS = 60.0
# The dexes plan at most this share of the budget minus the others' plans, so that the whole plan stays
# below the 90 % at which HyperliquidAPIWeightBudgetHigh fires.
BUDGET_HEADROOM = 0.85
# Ticks per `interval_seconds`: a dex due between two ticks waits at most a third of an interval.
TICKS_PER_INTERVAL = 3


class DexContextsStream(Protocol):
    """Pushed contexts of the covered dexes (the streaming side implements it)."""

    def live(self, dex: str) -> bool:
        """The dex's contexts are being pushed now."""

    async def follow(self, dexes: Sequence[str]) -> None:
        """Subscribe to these dexes, and unsubscribe from any other."""


@dataclass(frozen=True, slots=True)
class Observed(Generic[T]):
    value: T
    at: float


@dataclass
class DexState:
    dex: PerpDex
    market: Observed[MarketData] | None = None
    meta: Any = None  # the raw `meta` of the last REST contexts: pushed contexts are read against it
    caps_reached: Observed[frozenset[str]] | None = None
    net_deposit: Observed[float | None] | None = None
    limits: Observed[PerpDexLimits | None] | None = None
    accounts: dict[str, Observed[AccountState]] = field(default_factory=dict)
    requested: dict[str, float] = field(default_factory=dict)  # request key -> when last asked
    in_flight: set[str] = field(default_factory=set)  # request keys asked and not answered yet
    not_before: dict[str, float] = field(default_factory=dict)  # first asked no earlier than this
    up: bool = False
    last_success: float = 0.0


def _fresh(observed: Observed[T] | None, now: float, max_age: float) -> T | None:
    if observed is None or now - observed.at > max_age:
        return None
    return observed.value


def merge_families(groups: Sequence[Sequence[Metric]]) -> list[Metric]:
    """One family per name: the samples of every dex's family of that name, in dex order."""
    merged: dict[str, Metric] = {}
    for families in groups:
        for family in families:
            if family.name in merged:
                merged[family.name].samples.extend(family.samples)
            else:
                merged[family.name] = family
    return list(merged.values())


class DexesPoller:
    name = "dexes"
    collector = COLLECTOR

    def __init__(
        self,
        config: DexesCollectorConfig,
        context: CollectorContext,
        left: float,
        watched: Sequence[WatchedAccount] = (),
    ) -> None:
        """`left`: what the other collectors leave of the budget's headroom at their REST rates (can be
        below 0); the allowance is that, or more while streams save weight, up to the configured cap."""
        self._config = config
        self._context = context
        self._left_at_rest_rates = left
        self._streams_save: Callable[[], float] | None = None
        self.allowance = self._allowance_now()
        self._watched = list(watched)
        self.interval = config.interval_seconds / TICKS_PER_INTERVAL
        self.max_age = config.max_age()
        self.dexes: dict[str, DexState] = {}
        self._discovered = False
        self._discovery_due = 0.0
        self.schedule = plan_schedule(config, 0, len(self._watched), self.allowance)
        self.streamed_schedule = self.schedule
        self.stream: DexContextsStream | None = None
        self._reconcile_interval: float | None = None
        self._requests_in_flight: set[asyncio.Task[None]] = set()

    def follow_stream(self, stream: DexContextsStream, reconcile_interval: float) -> None:
        """Take pushed contexts from `stream`; while a dex's stream is live, poll its contexts over REST
        every `reconcile_interval` (stretched like the rest) instead of every `interval_seconds`."""
        self.stream = stream
        self._reconcile_interval = reconcile_interval
        self._replan()

    def spend_what_streams_save(self, saving: Callable[[], float]) -> None:
        """`saving()`: the weight per minute that live streams save the other collectors right now. The
        dexes may spend it: when a stream drops, its poller's REST weight is taken back from the dexes
        at their next tick, so the plan in force stays within the budget's headroom."""
        self._streams_save = saving
        self.refresh_allowance()

    def _allowance_now(self) -> float:
        saved = self._streams_save() if self._streams_save is not None else 0.0
        return min(self._config.weight_per_minute, max(self._left_at_rest_rates + saved, 0.0))

    def refresh_allowance(self) -> None:
        """Re-plan when the streams' saving changed the allowance (each tick)."""
        allowance = self._allowance_now()
        if allowance != self.allowance:
            log.info("builder dexes: weight allowance %.0f -> %.0f/min", self.allowance, allowance)
            self.allowance = allowance
            self._replan()

    def _replan(self) -> None:
        dexes, watched = len(self.dexes), len(self._watched)
        self.schedule = plan_schedule(self._config, dexes, watched, self.allowance)
        self.streamed_schedule = plan_schedule(
            self._config, dexes, watched, self.allowance, self._reconcile_interval
        )

    def streamed(self, dex: str) -> bool:
        return self.stream is not None and self.stream.live(dex)

    def schedule_for(self, dex: str) -> DexSchedule:
        """The schedule in force for the dex: streamed while its stream is live, REST otherwise.
        Each is planned for all dexes, so any mix of the two stays within the allowance."""
        return self.streamed_schedule if self.streamed(dex) else self.schedule

    @property
    def planned_weight_per_minute(self) -> float:
        # perpDexs is asked for even when nothing else fits, so that new dexes stay visible.
        return max(self.allowance, discovery_weight_per_minute(self._config))

    async def _info(self, body: dict[str, Any], priority: Priority | None = None) -> Any:
        return await self._context.client.info(body, COLLECTOR, priority=priority)

    async def _discover(self, now: float) -> None:
        try:
            # HIGH like the contexts: every dex's monitoring starts from this inventory.
            found = parse_perp_dexs(await self._info({"type": PERP_DEXS}, Priority.HIGH))
        except (UpstreamError, ParseError):
            self._discovery_due = now + min(self._config.discovery_interval_seconds, DISCOVERY_RETRY_SECONDS)
            if not self._discovered:
                raise
            log.warning("perpDexs failed; keeping the %d dexes found before", len(self.dexes))
            return
        count_skipped(self._context, found.skipped)
        self._discovered = True
        self._discovery_due = now + self._config.discovery_interval_seconds
        covered = {dex.name: dex for dex in found.dexes if self._config.covers(dex.name)}
        for name in set(self.dexes) - set(covered):
            log.info("dex %s withdrawn (no longer listed, or denied)", name)
            del self.dexes[name]
        new = 0
        for name, dex in covered.items():
            if name in self.dexes:
                self.dexes[name].dex = dex
            else:
                log.info("dex %s (%s) discovered", name, dex.full_name)
                self.dexes[name] = DexState(dex, not_before=self._staggered(now, new))
                new += 1
        self._replan()
        if self.stream is not None:
            await self.stream.follow(list(self.dexes))

    def _staggered(self, now: float, position: int) -> dict[str, float]:
        """A new dex's contexts are read at once; its other first requests one tick apart, and each
        further new dex a tick later, so discovery (and start-up, when every poller asks at once) is
        not one burst in the shared budget's queue."""
        keys = ["status", "limits"] + [f"account:{account.address}" for account in self._watched]
        return {key: now + self.interval * (1 + position + index) for index, key in enumerate(keys)}

    def _requests(self, state: DexState, now: float) -> list[Callable[[], Awaitable[None]]]:
        name = state.dex.name
        schedule = self.schedule_for(name)
        contexts = schedule.contexts
        if self.stream is not None and state.meta is None and math.isinf(contexts):
            # Pushes are read against the dex's universe: read once even when nothing else fits (like
            # an HLP child's name, a one-off cost at discovery), then only when a listing changes.
            contexts = self._config.interval_seconds
        wanted: list[tuple[str, float, Callable[[], Awaitable[None]]]] = [
            ("contexts", contexts, lambda: self._contexts(state)),
            ("status", schedule.status, lambda: self._status(state)),
            ("limits", schedule.limits, lambda: self._limits(state)),
        ]
        wanted += [
            (f"account:{account.address}", schedule.watched, self._account_request(state, account))
            for account in self._watched
        ]
        due: list[Callable[[], Awaitable[None]]] = []
        for key, interval, request in wanted:
            # Due from the last request, so a dex whose stream drops is back on the REST schedule at once.
            last = state.requested.get(key)
            if key in state.in_flight or math.isinf(interval) or (last is not None and now < last + interval):
                continue
            if last is None and now < state.not_before.get(key, 0.0):
                continue
            state.requested[key] = now
            due.append(self._retried_soon_if_unfinished(state, key, now, interval, request))
        if due:
            log.debug("dex %s: %d requests due", name, len(due))
        return due

    def _retried_soon_if_unfinished(
        self,
        state: DexState,
        key: str,
        asked_at: float,
        interval: float,
        request: Callable[[], Awaitable[None]],
    ) -> Callable[[], Awaitable[None]]:
        """A request that fails (or is cancelled at shutdown) is due again `interval_seconds` later, not a
        whole stretched interval later: a watched account's first read on a dex must not wait for its next
        7-minute slot. While it is in flight, its key is not asked again."""

        async def run() -> None:
            state.in_flight.add(key)
            try:
                await request()
            except BaseException:
                if state.requested.get(key) == asked_at:
                    retry = min(interval, self._config.interval_seconds)
                    state.requested[key] = asked_at - interval + retry
                raise
            finally:
                state.in_flight.discard(key)

        return run

    def _account_request(self, state: DexState, account: WatchedAccount) -> Callable[[], Awaitable[None]]:
        return lambda: self._account(state, account)

    async def _contexts(self, state: DexState) -> None:
        try:
            # A dex's oracle and mark are behind a critical alert, and its pushes are read against this
            # universe: ahead of paging fills and watched accounts in the budget's queue (a start-up's
            # queue otherwise holds it past the poll's deadline, and the stream's pushes go unread).
            raw = await self._info({"type": META_AND_ASSET_CTXS, "dex": state.dex.name}, Priority.HIGH)
            data = parse_meta_and_asset_ctxs(raw)
        except (UpstreamError, ParseError):
            state.up = False
            raise
        count_skipped(self._context, data.skipped)
        state.meta = raw[0]
        self._observed(state, data)

    def _observed(self, state: DexState, data: MarketData) -> None:
        now = self._context.clock()
        state.market = Observed(data, now)
        state.up = True
        state.last_success = now

    def accept_pushed_contexts(self, dex: str, ctxs: list[Any]) -> bool:
        """A pushed `assetCtxs` of the dex, read against its last REST `meta`. False when it cannot be
        read that way (no REST read yet, or a listing changed the number of perps): the contexts are then
        re-read over REST at the next tick. Raises ParseError for a malformed push."""
        state = self.dexes.get(dex)
        if state is None:
            return False
        if state.meta is not None:
            universe = state.meta.get("universe") if isinstance(state.meta, dict) else None
            if not isinstance(universe, list) or len(universe) != len(ctxs):
                state.meta = None  # a listing changed: the universe is read again
        if state.meta is None:
            # Not read over REST yet (or its read failed): read it soon, not a stretched interval
            # later, but no more often than `interval_seconds`.
            last = state.requested.get("contexts")
            if last is not None and self._context.clock() - last >= self._config.interval_seconds:
                state.requested.pop("contexts")
            return False
        data = parse_meta_and_asset_ctxs([state.meta, ctxs])
        count_skipped(self._context, data.skipped)
        self._observed(state, data)
        return True

    async def reread_universe(self, dex: str) -> None:
        """Read the dex's universe and contexts now: a push showed a market's open interest fall to zero,
        which a delisting does, and pushes never carry the universe. Raises UpstreamError, ParseError."""
        state = self.dexes.get(dex)
        if state is None:
            return
        state.requested["contexts"] = self._context.clock()
        await self._contexts(state)

    async def _status(self, state: DexState) -> None:
        raw = await self._info({"type": PERP_DEX_STATUS, "dex": state.dex.name})
        deposit = parse_perp_dex_status(raw)
        caps = parse_open_interest_caps(await self._info({"type": OPEN_INTEREST_CAP, "dex": state.dex.name}))
        count_skipped(self._context, caps.skipped)
        now = self._context.clock()
        state.net_deposit = Observed(deposit, now)
        state.caps_reached = Observed(caps.coins, now)

    async def _limits(self, state: DexState) -> None:
        raw = await self._info({"type": PERP_DEX_LIMITS, "dex": state.dex.name})
        state.limits = Observed(parse_perp_dex_limits(raw), self._context.clock())

    async def _account(self, state: DexState, account: WatchedAccount) -> None:
        body = {"type": CLEARINGHOUSE_STATE, "user": account.address, "dex": state.dex.name}
        parsed = parse_clearinghouse_state(await self._info(body))
        for _ in range(parsed.malformed):
            self._context.count_malformed(CLEARINGHOUSE_STATE)
        state.accounts[account.address] = Observed(parsed, self._context.clock())

    def _publish_coins(self) -> None:
        """Builder-dex coins for the event counters, which exist at 0 for every listed coin."""
        listed = [coin for state in self.dexes.values() if state.market for coin in state.market.value.listed]
        self._context.dex_coins.publish(listed)

    async def poll(self) -> Sequence[Metric]:
        self.refresh_allowance()
        now = self._context.clock()
        if now >= self._discovery_due:
            await self._discover(now)
        requests = [request for state in self.dexes.values() for request in self._requests(state, now)]
        # Requests of earlier ticks still queued count too: answered during this tick, they refresh the
        # dexes' data as much as this tick's own would (at a start-up each tick's new requests waited
        # longer than a tick in the queue, and every tick failed while the data was being refreshed).
        waiting = [*self._requests_in_flight, *(self._keep_in_flight(request) for request in requests)]
        if waiting:
            await self._answered_within_a_tick(waiting)
        self._publish_coins()
        return self.families()

    def _keep_in_flight(self, request: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """A request outlives the tick (and the poll's deadline) that asked for it: cancelled, it would
        lose its place in the weight budget's queue and wait at the back again next tick, which at a
        start-up, when every poller asks at once, kept the dexes from any success for over a minute.
        Its answer updates the dex's state, published by the next tick."""

        async def call() -> None:
            await request()

        task = asyncio.create_task(call(), name="dex-request")
        self._requests_in_flight.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._requests_in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("builder-dex request failed: %s", task.exception())

    async def _answered_within_a_tick(self, tasks: list[asyncio.Task[None]]) -> None:
        """The tick succeeds as soon as one of its requests (or an earlier tick's, still queued) is
        answered, and fails when none is within one and a half ticks (inside the poll's deadline of
        two), or all that were failed (one dex failing costs only that dex); the unanswered ones stay
        queued. At a start-up the first answers come about one tick in, behind every other
        collector's first requests."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.5 * self.interval
        pending: set[asyncio.Task[None]] = set(tasks)
        failures: list[BaseException] = []
        while pending:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            done, pending = await asyncio.wait(
                pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                failure = task.exception()
                if failure is None:
                    return
                if not isinstance(failure, UpstreamError | ParseError):
                    raise failure
                failures.append(failure)
        if failures:
            raise failures[0]
        raise UpstreamError(
            "timeout",
            f"none of {len(tasks)} builder-dex requests was answered within {1.5 * self.interval:g} s "
            "(waiting for the weight budget; they stay queued)",
        )

    def families(self) -> list[Metric]:
        """The snapshot of every covered dex now (after a poll, or a push)."""
        now = self._context.clock()
        return DexFamilies(self._config, self.schedule_for, self.streamed).build(
            list(self.dexes.values()), now, self._context.spot_tokens.fresh(now)
        )


class DexFamilies:
    """The snapshot of every covered dex: what is younger than three of its intervals."""

    def __init__(
        self,
        config: DexesCollectorConfig,
        schedule_for: Callable[[str], DexSchedule],
        streamed: Callable[[str], bool],
    ) -> None:
        self._config = config
        self._schedule_for = schedule_for
        self._streamed = streamed

    def _gauge(self, name: str, meaning: str, labels: Sequence[str], request: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, f"{meaning} (polled from {request}).", labels=list(labels))

    def build(self, states: Sequence[DexState], now: float, spot: SpotTokens | None = None) -> list[Metric]:
        """`spot`: the latest fresh spot token table (collateral names and prices), if any."""
        info = self._gauge(
            "hyperliquid_dex_info",
            "Builder-deployed perp dex (HIP-3) that is covered, with deployer and oracle updater; always 1",
            ("dex", "full_name", "deployer", "oracle_updater"),
            PERP_DEXS,
        )
        up = self._gauge(
            "hyperliquid_dex_up",
            "1 if the dex's last metaAndAssetCtxs poll (or assetCtxs push) succeeded",
            ("dex",),
            META_AND_ASSET_CTXS,
        )
        last = self._gauge(
            "hyperliquid_dex_last_success_timestamp_seconds",
            "Unix time of the dex's last successful metaAndAssetCtxs poll or assetCtxs push (0 if never)",
            ("dex",),
            META_AND_ASSET_CTXS,
        )
        streamed = GaugeMetricFamily(
            "hyperliquid_dex_contexts_streamed",
            "1 while the dex's contexts are pushed over the assetCtxs stream (REST then only reconciles), "
            "0 while they are polled over REST.",
            labels=["dex"],
        )
        interval = self._gauge(
            "hyperliquid_dex_poll_interval_seconds",
            "Seconds between the dex's polls of this request, stretched so all dexes fit the allowance",
            ("dex", "request"),
            "the dexes weight plan",
        )
        cap_usd = self._gauge(
            "hyperliquid_open_interest_cap_usd",
            "Open-interest cap of a builder-dex perp in the dex's collateral (USDC)",
            ("coin", "dex"),
            f"{PERP_DEXS} assetToStreamingOiCap",
        )
        reached = self._gauge(
            "hyperliquid_open_interest_cap_reached",
            "1 if the perp is at its open-interest cap (no new positions), 0 otherwise",
            ("coin", "dex"),
            OPEN_INTEREST_CAP,
        )
        deposit = self._gauge(
            "hyperliquid_dex_total_net_deposit_usd",
            "Collateral deposited into the dex minus collateral withdrawn, in USDC",
            ("dex",),
            PERP_DEX_STATUS,
        )
        total_cap = self._gauge(
            "hyperliquid_dex_total_open_interest_cap_usd",
            "Open-interest cap of the whole dex in its collateral (USDC)",
            ("dex",),
            PERP_DEX_LIMITS,
        )
        account_value = self._gauge(
            "hyperliquid_account_dex_value_usd",
            "Watched account's value on a builder dex in USDC (its isolated margins there)",
            ("account", "dex"),
            CLEARINGHOUSE_STATE,
        )
        position = ("account", "coin")
        size = self._gauge(
            "hyperliquid_account_position_size",
            "Position size in coins, signed",
            position,
            CLEARINGHOUSE_STATE,
        )
        notional = self._gauge(
            "hyperliquid_account_position_notional_usd",
            "Absolute position notional at mark",
            position,
            CLEARINGHOUSE_STATE,
        )
        pnl = self._gauge(
            "hyperliquid_account_position_unrealized_pnl_usd", "Unrealised PnL", position, CLEARINGHOUSE_STATE
        )
        liquidation = self._gauge(
            "hyperliquid_account_position_liquidation_price",
            "Estimated liquidation price",
            position,
            CLEARINGHOUSE_STATE,
        )
        market: list[list[Metric]] = []
        deployers = DeployerFamilies(spot)
        for state in states:
            dex = state.dex
            name = dex.name
            deployers.add_dex(dex)
            info.add_metric([name, dex.full_name, dex.deployer, dex.oracle_updater], 1.0)
            up.add_metric([name], 1.0 if state.up else 0.0)
            last.add_metric([name], state.last_success)
            streamed.add_metric([name], 1.0 if self._streamed(name) else 0.0)
            schedule = self._schedule_for(name)
            for request, seconds in (
                (META_AND_ASSET_CTXS, schedule.contexts),
                (PERP_DEX_STATUS, schedule.status),
                (PERP_DEX_LIMITS, schedule.limits),
            ):
                interval.add_metric([name, request], seconds)
            # Pushed data lives as long as the stream; polled data three (finite) intervals.
            basis = schedule.contexts if math.isfinite(schedule.contexts) else self._config.interval_seconds
            data = _fresh(state.market, now, self._config.max_age(basis))
            if data is not None:
                market.append(market_families(data, schedule.contexts, dex=name))
                deployers.add_market(name, data)
            for coin, cap in dex.open_interest_caps:
                cap_usd.add_metric([coin, name], cap)
            status_age = self._config.max_age(schedule.status)
            caps = _fresh(state.caps_reached, now, status_age)
            if caps is not None and data is not None:
                for coin in data.listed:
                    reached.add_metric([coin, name], 1.0 if coin in caps else 0.0)
            net = _fresh(state.net_deposit, now, status_age)
            if net is not None:
                deposit.add_metric([name], net)
            limits = _fresh(state.limits, now, self._config.max_age(schedule.limits))
            if limits is not None:
                deployers.add_limits(name, limits)
                if limits.total_open_interest_cap is not None:
                    total_cap.add_metric([name], limits.total_open_interest_cap)
            for address, observed in state.accounts.items():
                account = _fresh(observed, now, self._config.max_age(schedule.watched))
                if account is None:
                    continue
                account_value.add_metric([address, name], account.account_value_usd)
                for held in account.positions:
                    labels = [address, held.coin]
                    size.add_metric(labels, held.size)
                    notional.add_metric(labels, held.position_value_usd)
                    pnl.add_metric(labels, held.unrealized_pnl_usd)
                    if held.liquidation_price_usd is not None:
                        liquidation.add_metric(labels, held.liquidation_price_usd)
        own: list[Metric] = [
            info,
            up,
            last,
            streamed,
            interval,
            cap_usd,
            reached,
            deposit,
            total_cap,
            account_value,
        ]
        own += [size, notional, pnl, liquidation, *deployers.families()]
        return merge_families([own, *market])


def pollers(config: Config, context: CollectorContext, planned_elsewhere: float) -> list[Poller]:
    section = config.collectors.dexes
    if not section.enabled:
        return []
    left = BUDGET_HEADROOM * config.hyperliquid.weight_budget_per_minute - planned_elsewhere
    allowance = min(section.weight_per_minute, max(left, 0.0))
    if allowance < section.weight_per_minute:
        log.warning(
            "at their REST rates the other collectors leave %.0f of %.0f%% of the %.0f weight/min budget: "
            "builder dexes get %.0f instead of collectors.dexes.weight_per_minute=%.0f (plus what live "
            "streams save), and are polled less often",
            max(left, 0.0),
            BUDGET_HEADROOM * 100,
            config.hyperliquid.weight_budget_per_minute,
            allowance,
            section.weight_per_minute,
        )
    watched = config.collectors.accounts.watched if config.collectors.accounts.enabled else []
    return [DexesPoller(section, context, left, watched)]
