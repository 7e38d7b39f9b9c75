"""Which subscriptions the exporter holds, planned once from the config within the per-IP limits.

The 10-user quota is spent in priority order: the HLP liquidators first (a backstop takeover and
auto-deleveraging show in their state and fills first), then watched accounts in config order.
Accounts left out are polled over REST at their collector's interval. Connections: one for the
market contexts, one for the user feeds, one for the builder dexes' contexts (subscribed as dexes
are discovered, so planned at run time: `exporter.streaming.dex_feed`). The user plan is made again
when HLP child discovery changes the liquidators (`StreamingService.follow_liquidators`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exporter.config import Config

FEED_MARKET = "market_contexts"
FEED_FILLS = "user_fills"
FEED_ACCOUNTS = "account_state"
FEED_DEX_CONTEXTS = "dex_contexts"
FEEDS = (FEED_MARKET, FEED_FILLS, FEED_ACCOUNTS, FEED_DEX_CONTEXTS)
CONNECTION_MARKET = "market"
CONNECTION_USERS = "users"
CONNECTION_DEXES = "dexes"
CONNECTION_BOOKS = "books"

Subscription = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlannedUser:
    address: str
    role: str  # "hlp_liquidator" or "watched"


@dataclass(slots=True)
class StreamPlan:
    market_channel: str | None  # assetCtxs, activeAssetCtx or None
    account_state_channel: str | None
    fills: bool
    liquidators: tuple[str, ...] = ()
    watched: tuple[str, ...] = ()
    polled_only: tuple[str, ...] = ()  # accounts over the user quota: REST only
    known_liquidators: tuple[str, ...] = ()  # every liquidator the plan was made for, streamed or not
    max_users: int = 10
    max_subscriptions: int = 1000
    max_connections: int = 10
    notes: list[str] = field(default_factory=list)

    @property
    def users(self) -> tuple[str, ...]:
        return self.liquidators + self.watched

    def user_subscriptions(self) -> list[tuple[str, Subscription]]:
        """(feed, subscription) for every planned user."""
        out: list[tuple[str, Subscription]] = []
        for user in self.users:
            if self.fills:
                out.append((FEED_FILLS, {"type": "userFills", "user": user, "aggregateByTime": False}))
            if self.account_state_channel is not None:
                out.append((FEED_ACCOUNTS, {"type": self.account_state_channel, "user": user}))
        return out

    def market_subscriptions(self, coins: tuple[str, ...]) -> list[tuple[str, Subscription]]:
        if self.market_channel == "assetCtxs":
            return [(FEED_MARKET, {"type": "assetCtxs", "dex": ""})]
        if self.market_channel == "activeAssetCtx":
            room = self.max_subscriptions - len(self.user_subscriptions())
            return [(FEED_MARKET, {"type": "activeAssetCtx", "coin": coin}) for coin in coins[:room]]
        return []

    def planned_subscriptions(self, feed: str, listed_coins: int = 0) -> int:
        if feed == FEED_MARKET:
            if self.market_channel == "activeAssetCtx":
                return min(listed_coins, self.max_subscriptions - len(self.user_subscriptions()))
            return 1 if self.market_channel == "assetCtxs" else 0
        return sum(1 for f, _ in self.user_subscriptions() if f == feed)


def build_plan(config: Config, liquidators: Sequence[str] | None = None) -> StreamPlan:
    """`liquidators`: the liquidators known now (configured and discovered); the configured ones
    when not given. The service plans again whenever discovery changes them."""
    section = config.streaming
    accounts = config.collectors.accounts
    fills_on = section.fills and config.collectors.fills.enabled
    state_on = section.account_state and accounts.enabled
    plan = StreamPlan(
        market_channel=(
            section.market_contexts
            if section.market_contexts != "off" and config.collectors.market.enabled
            else None
        ),
        account_state_channel=section.account_state_channel if state_on else None,
        fills=fills_on,
        max_users=section.max_users,
        max_subscriptions=section.max_subscriptions,
        max_connections=section.max_connections,
    )
    known = list(dict.fromkeys(accounts.liquidators if liquidators is None else liquidators))
    plan.known_liquidators = tuple(known)
    if not (fills_on or state_on):
        return plan
    per_user = int(fills_on) + int(state_on)
    user_room = min(section.max_users, section.max_subscriptions // per_user)
    liquidators = known
    plan.liquidators = tuple(liquidators[:user_room])
    left_out = liquidators[user_room:]
    if section.watched_accounts:
        candidates = [w.address for w in accounts.watched if w.address not in liquidators]
        room = user_room - len(plan.liquidators)
        plan.watched = tuple(candidates[:room])
        left_out += candidates[room:]
    plan.polled_only = tuple(left_out)
    if left_out:
        plan.notes.append(
            f"{len(left_out)} account(s) over the {section.max_users}-user quota are polled over REST only"
        )
    return plan
