"""Compile a scenario into state over scenario time: the market, the accounts, the HLP vault."""

from __future__ import annotations

import random
from dataclasses import dataclass

from exporter.replay.accounts import Accounts, AccountTrack
from exporter.replay.baseline import default_hlp_children
from exporter.replay.faults import Fault
from exporter.replay.governance import Governance
from exporter.replay.market import Market
from exporter.replay.paths import Path
from exporter.replay.scenario import (
    BackstopEvent,
    DelistEvent,
    DeployerEvent,
    FaultEvent,
    FillsEvent,
    MarginTiersEvent,
    MarketRulesEvent,
    OpenInterestCapEvent,
    OracleWalkEvent,
    OutageEvent,
    PegEvent,
    PositionEvent,
    RampEvent,
    Scenario,
    ScenarioError,
    StablecoinEvent,
    TransferEvent,
    ValidatorsJailedEvent,
    ValidatorVoteEvent,
    VaultChildSpec,
    VenueEvent,
)


@dataclass(frozen=True)
class Vault:
    address: str
    name: str
    leader: str
    child_addresses: list[str]
    account_value: Path
    pnl: Path
    apr: float
    followers: int


class Timeline:
    """Everything a response needs, as a function of scenario time."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.market = Market(scenario.market, scenario.seed)
        self.accounts = Accounts(self.market, scenario.seed)
        self.governance = Governance(scenario.governance)
        self.vault = self._add_hlp(scenario)
        for index, account in enumerate(scenario.accounts):
            self.accounts.add(account, False, f"accounts.{index}")
        self._scheduled_faults = [
            (event.at, event.at + event.duration if event.duration is not None else float("inf"), event.fault)
            for event in scenario.events
            if isinstance(event, FaultEvent)
        ]
        self.venue_events = [event for event in scenario.events if isinstance(event, VenueEvent)]
        self._compile_events(scenario)
        self.event_times = sorted(event.at for event in scenario.events)

    def _add_hlp(self, scenario: Scenario) -> Vault:
        spec = scenario.hlp
        children = list(spec.children) if spec.children is not None else default_hlp_children()
        overrides = {child.address: child for child in spec.child_overrides}
        unknown = set(overrides) - {child.address for child in children}
        if unknown:
            raise ScenarioError(f"hlp.child_overrides: {', '.join(sorted(unknown))} is not an HLP child")
        children = [overrides.get(child.address, child) for child in children]
        parent = VaultChildSpec(address=spec.address, name=spec.name, deposits=spec.deposits)
        self.accounts.add(parent, True, "hlp")
        for index, child in enumerate(children):
            self.accounts.add(child, True, f"hlp.children.{index}")
        return Vault(
            address=spec.address,
            name=spec.name,
            leader=spec.leader,
            child_addresses=[child.address for child in children],
            account_value=Path.from_points([(p[0], p[1]) for p in spec.account_value]),
            pnl=Path.from_points([(p[0], p[1]) for p in spec.pnl]),
            apr=spec.apr,
            followers=spec.followers,
        )

    def _compile_events(self, scenario: Scenario) -> None:
        # Stable sort: events at the same time apply in file order, so a later ramp overrides an earlier one.
        ordered = sorted(enumerate(scenario.events), key=lambda item: item[1].at)
        rng = random.Random(scenario.seed)
        # Market first, so prices of fills and liquidations see every price event, whatever its time.
        for index, event in ordered:
            where = f"events.{index} ({event.kind} at {event.at:g}s)"
            if isinstance(event, RampEvent):
                self.market.apply_ramp(event, rng, where)
            elif isinstance(event, OpenInterestCapEvent):
                self.market.apply_cap(event, where)
            elif isinstance(event, MarketRulesEvent):
                self.market.apply_rules(event, where)
            elif isinstance(event, OracleWalkEvent):
                self.market.apply_oracle_walk(event, where)
            elif isinstance(event, DelistEvent):
                self.market.apply_delist(event, where)
            elif isinstance(event, DeployerEvent):
                self.market.apply_deployer(event, where)
            elif isinstance(event, MarginTiersEvent):
                self.market.apply_margin_tiers(event, where)
            elif isinstance(event, ValidatorVoteEvent):
                self.governance.apply_vote(event, where)
            elif isinstance(event, ValidatorsJailedEvent):
                self.governance.apply_jailed(event, where)
            elif isinstance(event, OutageEvent):
                self.market.apply_outage(event)
            elif isinstance(event, StablecoinEvent):
                self.market.apply_stablecoin(event)
            elif isinstance(event, PegEvent):
                self.market.apply_peg(event)
        for index, event in ordered:
            where = f"events.{index} ({event.kind} at {event.at:g}s)"
            if isinstance(event, PositionEvent):
                self.accounts.apply_position(event, where)
            elif isinstance(event, TransferEvent):
                self.accounts.apply_transfer(event, where)
            elif isinstance(event, BackstopEvent):
                self.accounts.apply_backstop(event, where)
            elif isinstance(event, FillsEvent):
                self.accounts.apply_fills(event, where)
            elif isinstance(event, DelistEvent):
                self.accounts.apply_delist(event)
        self.accounts.finish()

    def account(self, address: str) -> AccountTrack | None:
        return self.accounts.by_address.get(address.lower())

    def faults_at(self, time: float) -> list[Fault]:
        return [fault for start, end, fault in self._scheduled_faults if start <= time < end]

    def events_applied(self, time: float) -> int:
        return sum(1 for at in self.event_times if at <= time)
