"""Account collector: `clearinghouseState` of HLP's parent and children and of watched accounts.

Three pollers, by priority:
- `accounts_liquidators`: the liquidator children, on the shortest interval, so that a backstop
  takeover shows within one poll: the configured list (polled whether or not discovery lists
  them) plus every child whose `vaultDetails` name says it is a liquidator ("HLP Liquidator 5").
- `accounts_hlp`: the HLP parent and its other children, discovered from
  `vaultDetails.relationship.data.childAddresses` at run time and rediscovered periodically.
- `accounts_watched`: the configured watch list. When the shared weight budget is tight this
  poller stretches its own interval (up to WATCHED_MAX_STRETCH times), so watched accounts yield
  before market data and HLP positions do.
Each poller asks for its accounts concurrently; the shared budget paces the requests.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.budget_pressure import WATCHED_MAX_STRETCH, BudgetPressure
from exporter.collectors.context import CollectorContext
from exporter.collectors.liquidators import LiquidatorRoles, is_liquidator_name
from exporter.config import AccountsCollectorConfig, Config
from exporter.hyperliquid.accounts import CLEARINGHOUSE_STATE, AccountState, parse_clearinghouse_state
from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.vaults import VAULT_DETAILS, parse_vault_details
from exporter.hyperliquid.weights import base_weight, weight_per_minute

log = logging.getLogger(__name__)

COLLECTOR = "accounts"
ROLE_HLP = "hlp"
ROLE_LIQUIDATOR = "hlp_liquidator"
ROLE_WATCHED = "watched"
MARGIN_TYPES = frozenset({"cross", "isolated"})
# After a failed discovery, try again after this long rather than on every poll (it costs 20).
DISCOVERY_RETRY_SECONDS = 60.0

# Names of HLP's mainnet accounts, for the `name` label; unknown children get a name from their address.
KNOWN_HLP_NAMES = {
    "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303": "HLP",
    "0x010461c14e146ac35fe42271bdc1134ee31c703a": "HLP Strategy A",
    "0x31ca8395cf837de08b24da3f660e77761dfb974b": "HLP Strategy B",
    "0x469f690213c467c39a23efacfd2816896009d7d8": "HLP Strategy X",
    "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14": "HLP Liquidator",
    "0xb0a55f13d22f66e6d495ac98113841b2326e9540": "HLP Liquidator 2",
    "0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70": "HLP Liquidator 3",
    "0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308": "HLP Liquidator 4",
}


def hlp_name(address: str) -> str:
    return KNOWN_HLP_NAMES.get(address, f"HLP {address[:10]}")


@dataclass(frozen=True, slots=True)
class MonitoredAccount:
    address: str
    name: str
    role: str
    vault: str  # the parent vault for HLP accounts, "" for watched ones


class HlpDiscovery:
    """HLP's child addresses from `vaultDetails`, refreshed every `interval` seconds.

    Each new child's own `vaultDetails` (read once) gives its name; a child named as a liquidator
    joins the liquidator roles, so it is polled first and its fills are followed.
    """

    def __init__(self, config: AccountsCollectorConfig, context: CollectorContext) -> None:
        self.vault = config.hlp_vault
        self.interval = config.child_discovery_interval_seconds
        self.planned_weight_per_minute = weight_per_minute(VAULT_DETAILS, self.interval)
        self._context = context
        self.roles: LiquidatorRoles = context.liquidators
        self.vault_name = hlp_name(self.vault)
        self.children: tuple[str, ...] | None = None
        self.names: dict[str, str] = {}
        self._provisional: set[str] = set()  # named from KNOWN_HLP_NAMES, not yet read
        self._first_discovery = True
        self._next_due = 0.0

    def name_of(self, address: str) -> str:
        return self.names.get(address) or hlp_name(address)

    async def _name(self, child: str) -> None:
        # A child known by name waits its turn behind everything else (its name is only confirmed).
        priority = Priority.LOW if child in self._provisional else None
        raw = await self._context.client.info(
            {"type": VAULT_DETAILS, "vaultAddress": child}, COLLECTOR, priority
        )
        self._provisional.discard(child)
        details = parse_vault_details(raw)
        # No details or no name (an answer, not a failure): not asked again; the label falls back.
        self.names[child] = details.name if details is not None else ""
        if details is None or not is_liquidator_name(details.name):
            return
        if child not in self.roles:
            log.info(
                "HLP child %s is a liquidator by its name %r: polled first, fills followed",
                child,
                details.name,
            )
        self.roles.discovered(child, details.name)

    def _name_known_children(self) -> None:
        """At the first discovery, children with a known mainnet name take it without a request.

        Their own `vaultDetails` (20 each: 140 for HLP's 7 children) would otherwise queue ahead of
        every other collector's first requests; they are read, to confirm, at the next rediscovery.
        """
        for child in self.children or ():
            name = KNOWN_HLP_NAMES.get(child)
            if name is None or child in self.names:
                continue
            self.names[child] = name
            self._provisional.add(child)
            if is_liquidator_name(name):
                self.roles.discovered(child, name)

    async def _name_children(self, now: float) -> None:
        """Read the names of children not named yet (or named only from the known list); those that
        fail are asked again a minute later."""
        if self._first_discovery:
            self._first_discovery = False
            self._name_known_children()
            unnamed = [child for child in self.children or () if child not in self.names]
        else:
            unnamed = [c for c in self.children or () if c not in self.names or c in self._provisional]
        results = await asyncio.gather(*(self._name(child) for child in unnamed), return_exceptions=True)
        for child, result in zip(unnamed, results, strict=True):
            if isinstance(result, UpstreamError | ParseError):
                log.debug("name of HLP child %s not read: %s", child, result)
            elif isinstance(result, BaseException):
                raise result
        if any(child not in self.names or child in self._provisional for child in unnamed):
            self._next_due = min(self._next_due, now + DISCOVERY_RETRY_SECONDS)

    def known_addresses(self) -> set[str]:
        return {self.vault, *(self.children or ())}

    async def refresh_if_due(self) -> None:
        now = self._context.clock()
        if now < self._next_due:
            return
        try:
            # HLP's details are the vaults poller's too: one request when both ask at once.
            raw = await self._context.shared_reads.info(
                self._context.client, {"type": VAULT_DETAILS, "vaultAddress": self.vault}, COLLECTOR
            )
            details = parse_vault_details(raw)
            if details is None:
                raise ParseError(VAULT_DETAILS, "$", f"null: {self.vault} is not a known vault")
        except (UpstreamError, ParseError):
            self._next_due = now + min(self.interval, DISCOVERY_RETRY_SECONDS)
            if self.children is None:
                raise
            log.warning(
                "HLP child rediscovery failed; keeping the %d children found before", len(self.children)
            )
            return
        for _ in range(details.malformed):
            self._context.count_malformed(VAULT_DETAILS)
        if details.relationship != "parent":
            log.warning(
                "vault %s has relationship %r, not parent: no children", self.vault, details.relationship
            )
        if self.children is not None and set(details.child_addresses) != set(self.children):
            log.info("HLP children changed: %s", ", ".join(details.child_addresses))
        self.children = details.child_addresses
        self._next_due = now + self.interval
        await self._name_children(now)


class AccountFamilies:
    """The account metric families of one poll; every poller emits the same names and HELP."""

    def __init__(self, help_suffix: str) -> None:
        def gauge(name: str, text: str, labels: Sequence[str]) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, f"{text} ({help_suffix}).", labels=list(labels))

        account = ["account"]
        position = ["account", "coin"]
        self._held: set[str] = set()
        self.info = gauge(
            "hyperliquid_account_info",
            "Monitored account: name, role (hlp, hlp_liquidator, watched) and parent vault; always 1",
            ["account", "name", "role", "vault"],
        )
        self.value = gauge("hyperliquid_account_value_usd", "Account value in USD (marginSummary)", account)
        self.maintenance = gauge(
            "hyperliquid_account_cross_maintenance_margin_used_usd",
            "Cross maintenance margin in use, USD; liquidation starts when cross value falls below it",
            account,
        )
        self.cross_value = gauge(
            "hyperliquid_account_cross_value_usd", "Cross-margin account value in USD", account
        )
        self.size = gauge(
            "hyperliquid_account_position_size",
            "Position size in coins, signed (negative is short)",
            position,
        )
        self.notional = gauge(
            "hyperliquid_account_position_notional_usd", "Absolute position notional at mark in USD", position
        )
        self.pnl = gauge(
            "hyperliquid_account_position_unrealized_pnl_usd",
            "Unrealised PnL of the position in USD",
            position,
        )
        self.liquidation = gauge(
            "hyperliquid_account_position_liquidation_price",
            "Estimated liquidation price of the position in USD; absent when there is none; `margin` is "
            "cross (the price assumes the account's other prices stay put), isolated or unknown",
            [*position, "margin"],
        )

    def add(self, account: MonitoredAccount, state: AccountState) -> None:
        address = account.address
        self._held.update(position.coin for position in state.positions if position.size)
        self.info.add_metric([address, account.name, account.role, account.vault], 1.0)
        self.value.add_metric([address], state.account_value_usd)
        if state.cross_maintenance_margin_used_usd is not None:
            self.maintenance.add_metric([address], state.cross_maintenance_margin_used_usd)
        if state.cross_account_value_usd is not None:
            self.cross_value.add_metric([address], state.cross_account_value_usd)
        for position in state.positions:
            labels = [address, position.coin]
            self.size.add_metric(labels, position.size)
            self.notional.add_metric(labels, position.position_value_usd)
            self.pnl.add_metric(labels, position.unrealized_pnl_usd)
            if position.liquidation_price_usd is not None:
                self.liquidation.add_metric(
                    [*labels, margin_label(position.leverage_type)], position.liquidation_price_usd
                )

    def coins_held(self) -> frozenset[str]:
        """Coins any added account holds a position in."""
        return frozenset(self._held)

    def families(self) -> list[Metric]:
        return [
            self.info,
            self.value,
            self.maintenance,
            self.cross_value,
            self.size,
            self.notional,
            self.pnl,
            self.liquidation,
        ]


def margin_label(leverage_type: str | None) -> str:
    """`cross` or `isolated` as the API says; anything else is `unknown`, to keep the label bounded."""
    return leverage_type if leverage_type in MARGIN_TYPES else "unknown"


def help_suffix(config: AccountsCollectorConfig) -> str:
    return (
        f"polled from clearinghouseState: HLP liquidators every {config.liquidator_interval_seconds:g} s, "
        f"other HLP accounts every {config.interval_seconds:g} s, watched accounts every "
        f"{config.watched_interval_seconds:g} s or less often when the weight budget is tight"
    )


class AccountGroupPoller(ABC):
    """Polls one group of accounts concurrently and publishes their state as one snapshot."""

    collector = COLLECTOR
    # Place in the shared weight budget's queue (see exporter.hyperliquid.budget).
    priority = Priority.HIGH

    def __init__(
        self,
        name: str,
        config: AccountsCollectorConfig,
        context: CollectorContext,
        interval: float,
        planned_accounts: int,
    ) -> None:
        self.name = name
        self.interval = interval
        self.max_age = config.max_age(interval)
        self.planned_weight_per_minute = weight_per_minute(CLEARINGHOUSE_STATE, interval, planned_accounts)
        self._context = context
        self._help = help_suffix(config)

    @abstractmethod
    async def accounts(self) -> list[MonitoredAccount]:
        """The accounts to poll now, with their labels."""

    async def _state(self, account: MonitoredAccount) -> AccountState:
        raw = await self._context.client.info(
            {"type": CLEARINGHOUSE_STATE, "user": account.address}, COLLECTOR, self.priority
        )
        state = parse_clearinghouse_state(raw)
        for _ in range(state.malformed):
            self._context.count_malformed(CLEARINGHOUSE_STATE)
        return state

    async def poll(self) -> Sequence[Metric]:
        accounts = await self.accounts()
        results = await asyncio.gather(*(self._state(a) for a in accounts), return_exceptions=True)
        families = AccountFamilies(self._help)
        for account, result in zip(accounts, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            families.add(account, result)
        self._context.held_coins[self.name] = families.coins_held()
        return families.families()


class LiquidatorAccountsPoller(AccountGroupPoller):
    # A backstop takeover shows here first: never queued behind fill paging or watched accounts.
    priority = Priority.CRITICAL

    def __init__(
        self, config: AccountsCollectorConfig, context: CollectorContext, discovery: HlpDiscovery
    ) -> None:
        super().__init__(
            "accounts_liquidators",
            config,
            context,
            config.liquidator_interval_seconds,
            len(config.liquidators),
        )
        self._discovery = discovery
        self._vault = config.hlp_vault

    async def accounts(self) -> list[MonitoredAccount]:
        # Configured liquidators, then those discovered by name since (by the HLP poller's discovery).
        return [
            MonitoredAccount(address, self._discovery.name_of(address), ROLE_LIQUIDATOR, self._vault)
            for address in self._discovery.roles.addresses()
        ]


# With the 7 children HLP had in 2026, 3 are not liquidators; plus the parent.
PLANNED_HLP_ACCOUNTS = 4


class HlpAccountsPoller(AccountGroupPoller):
    def __init__(
        self, config: AccountsCollectorConfig, context: CollectorContext, discovery: HlpDiscovery
    ) -> None:
        super().__init__("accounts_hlp", config, context, config.interval_seconds, PLANNED_HLP_ACCOUNTS)
        self._discovery = discovery
        self.planned_weight_per_minute += discovery.planned_weight_per_minute

    async def accounts(self) -> list[MonitoredAccount]:
        await self._discovery.refresh_if_due()
        vault = self._discovery.vault
        parent = MonitoredAccount(vault, self._discovery.vault_name, ROLE_HLP, vault)
        children = [
            MonitoredAccount(address, self._discovery.name_of(address), ROLE_HLP, vault)
            for address in self._discovery.children or ()
            if address not in self._discovery.roles and address != vault
        ]
        return [parent, *children]


class WatchedAccountsPoller(AccountGroupPoller):
    priority = Priority.LOW

    def __init__(self, config: AccountsCollectorConfig, context: CollectorContext, hlp: HlpDiscovery) -> None:
        super().__init__(
            "accounts_watched", config, context, config.watched_interval_seconds, len(config.watched)
        )
        self._hlp = hlp
        self._accounts = [MonitoredAccount(w.address, w.name, ROLE_WATCHED, "") for w in config.watched]
        self.pressure = BudgetPressure(
            context.budget,
            batch_weight=len(self._accounts) * base_weight(CLEARINGHOUSE_STATE),
            own_planned_per_minute=self.planned_weight_per_minute,
        )
        # Three intervals at the longest stretch, so a yielding poller's data is not withdrawn.
        self.max_age = config.max_age(config.watched_interval_seconds * WATCHED_MAX_STRETCH)

    # The only setting that moves: the configured interval, stretched while the budget is tight.
    @property
    def interval(self) -> float:
        return self._configured_interval * self.pressure.stretch

    @interval.setter
    def interval(self, configured: float) -> None:
        self._configured_interval = configured

    async def accounts(self) -> list[MonitoredAccount]:
        self.pressure.observe()
        # An HLP account is published by the HLP pollers; publishing it twice would repeat series.
        hlp = self._hlp.known_addresses() | set(self._hlp.roles.addresses())
        return [account for account in self._accounts if account.address not in hlp]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    section = config.collectors.accounts
    if not section.enabled:
        return []
    context.liquidators.configure(section.liquidators)
    discovery = HlpDiscovery(section, context)
    # Always there, even with no liquidator configured: discovery may find some.
    groups: list[Poller] = [
        LiquidatorAccountsPoller(section, context, discovery),
        HlpAccountsPoller(section, context, discovery),
    ]
    if section.watched:
        groups.append(WatchedAccountsPoller(section, context, discovery))
    return groups
