"""What each scenario's onset alerts look for, written once on exporter-shaped facts.

A condition mirrors its alerting rule's expression (thresholds included) but reads raw metrics, so
the same function finds the first moment the incident shows in the simulator's API, in the exporter's
/metrics and in Prometheus's samples. Signals that the API only shows as fills (auto-deleveraging)
cannot be probed cheaply and start at the scenario event's wall time instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.latency_timeline import View
from exporter.replay.scenario import FillsEvent, load_scenario

ACCOUNT_INFO = "hyperliquid_account_info"
POSITION_SIZE = "hyperliquid_account_position_size"
POSITION_NOTIONAL = "hyperliquid_account_position_notional_usd"
LIQUIDATION_PRICE = "hyperliquid_account_position_liquidation_price"
MARK = "hyperliquid_mark_price"
ORACLE = "hyperliquid_oracle_price"
OPEN_INTEREST_SIZE = "hyperliquid_open_interest_size"
OPEN_INTEREST_USD = "hyperliquid_open_interest_usd"
OPEN_INTEREST_CAP = "hyperliquid_open_interest_cap_reached"
EXTERNAL_PRICE = "hyperliquid_external_price"
AUTO_DELEVERAGES = "hyperliquid_auto_deleverages_total"

# Which simulator requests the API probe must make to see a condition's facts.
MARKET, OI_CAP, ACCOUNTS, PRICES = "market", "oi_cap", "accounts", "prices"

Condition = Callable[[View], bool]


@dataclass(frozen=True)
class Signal:
    condition: Condition
    metrics: tuple[str, ...]  # exporter metric names the condition reads
    feeds: frozenset[str]  # simulator requests that give those facts


@dataclass(frozen=True)
class Watch:
    """One onset alert to time, from the first sign in the API to its chat message."""

    alertname: str
    severity: str
    coin: str | None  # the alert's `coin` label; None: whichever coin shows first
    for_seconds: float  # the rule's `for`
    signal: Signal
    # Scenario seconds of the event that shows the signal, when the API probe cannot afford to see it.
    event_at: float | None = None

    @property
    def label(self) -> str:
        return f"{self.alertname} ({self.severity}{', ' + self.coin if self.coin else ''})"

    @property
    def chat(self) -> str:
        return "telegram" if self.severity == "critical" else "discord"


@dataclass(frozen=True)
class Plan:
    scenario: str
    watches: tuple[Watch, ...]
    timeout_seconds: float  # wall seconds to wait for every watch's chat message
    start_offset: float = 0.0  # skip a slow lead-in (scenario seconds)


def _accounts_with_role(view: View, roles: set[str]) -> set[str]:
    return {s.labels["account"] for s in view.samples(ACCOUNT_INFO) if s.labels.get("role") in roles}


def _matches(coin: str | None, candidate: str) -> bool:
    return coin is None or coin == candidate


def backstop_takeover(coin: str | None) -> Signal:
    """coin:hyperliquid_hlp_liquidator_position_notional_usd:sum > 1e6."""

    def condition(view: View) -> bool:
        liquidators = _accounts_with_role(view, {"hlp_liquidator"})
        totals: dict[str, float] = {}
        for sample in view.samples(POSITION_NOTIONAL):
            if sample.labels["account"] in liquidators:
                key = sample.labels["coin"]
                totals[key] = totals.get(key, 0.0) + sample.value
        return any(total > 1_000_000 for key, total in totals.items() if _matches(coin, key))

    return Signal(condition, (ACCOUNT_INFO, POSITION_NOTIONAL), frozenset({ACCOUNTS}))


def hlp_open_interest_share(coin: str | None, above: float = 0.5) -> Signal:
    """HyperliquidHLPConcentration (critical): HLP's net size over half the open interest, >= $1M."""

    def condition(view: View) -> bool:
        children = _accounts_with_role(view, {"hlp", "hlp_liquidator"})
        sizes: dict[str, float] = {}
        notionals: dict[str, float] = {}
        notional_by_key = {
            (s.labels["account"], s.labels["coin"]): s.value for s in view.samples(POSITION_NOTIONAL)
        }
        for sample in view.samples(POSITION_SIZE):
            account, key = sample.labels["account"], sample.labels["coin"]
            if account not in children:
                continue
            sizes[key] = sizes.get(key, 0.0) + sample.value
            signed = notional_by_key.get((account, key), 0.0) * (1 if sample.value > 0 else -1)
            notionals[key] = notionals.get(key, 0.0) + signed
        open_interest = view.by(OPEN_INTEREST_SIZE, "coin")
        return any(
            open_interest.get(key, 0.0) > 0
            and abs(size) / open_interest[key] > above
            and abs(notionals[key]) >= 1_000_000
            for key, size in sizes.items()
            if _matches(coin, key)
        )

    metrics = (ACCOUNT_INFO, POSITION_SIZE, POSITION_NOTIONAL, OPEN_INTEREST_SIZE)
    return Signal(condition, metrics, frozenset({ACCOUNTS, MARKET}))


def open_interest_cap(coin: str | None) -> Signal:
    def condition(view: View) -> bool:
        return any(v == 1 for key, v in view.by(OPEN_INTEREST_CAP, "coin").items() if _matches(coin, key))

    return Signal(condition, (OPEN_INTEREST_CAP,), frozenset({OI_CAP}))


def auto_deleveraging(coin: str | None) -> Signal:
    def condition(view: View) -> bool:
        return any(v > 0 for key, v in view.by(AUTO_DELEVERAGES, "coin").items() if _matches(coin, key))

    return Signal(condition, (AUTO_DELEVERAGES,), frozenset())


def open_interest_drop(coin: str | None, ratio: float = 0.05, seconds: float = 60.0) -> Signal:
    """HyperliquidOpenInterestDropFast (warning): a coin's OI in coins fell 5% in 1m, OI >= $1M."""

    def condition(view: View) -> bool:
        now = view.by(OPEN_INTEREST_SIZE, "coin")
        before = view.by(OPEN_INTEREST_SIZE, "coin", seconds_ago=seconds)
        usd = view.by(OPEN_INTEREST_USD, "coin")
        return any(
            before.get(key, 0.0) > 0 and value / before[key] - 1 < -ratio and usd.get(key, 0.0) >= 1_000_000
            for key, value in now.items()
            if _matches(coin, key)
        )

    return Signal(condition, (OPEN_INTEREST_SIZE, OPEN_INTEREST_USD), frozenset({MARKET}))


def oracle_deviation(coin: str | None, above: float = 0.01) -> Signal:
    """HyperliquidOracleDeviation: oracle against the median of two or more reference sources."""

    def condition(view: View) -> bool:
        oracles = view.by(ORACLE, "coin")
        references: dict[str, dict[str, float]] = {}
        for sample in view.samples(EXTERNAL_PRICE):
            references.setdefault(sample.labels["coin"], {})[sample.labels["source"]] = sample.value
        for key, oracle in oracles.items():
            prices = list(references.get(key, {}).values())
            if (
                _matches(coin, key)
                and len(prices) >= 2
                and abs(oracle / statistics.median(prices) - 1) > above
            ):
                return True
        return False

    return Signal(condition, (ORACLE, EXTERNAL_PRICE), frozenset({MARKET, PRICES}))


def near_liquidation(coin: str | None, below: float, at_least: float = 0.0) -> Signal:
    """HyperliquidAccountNearLiquidation: |liquidation price - mark| / mark in [at_least, below), >= $100k."""

    def condition(view: View) -> bool:
        marks = view.by(MARK, "coin")
        notionals = {
            (s.labels["account"], s.labels["coin"]): s.value for s in view.samples(POSITION_NOTIONAL)
        }
        for sample in view.samples(LIQUIDATION_PRICE):
            key = sample.labels["coin"]
            mark = marks.get(key)
            if not _matches(coin, key) or not mark:
                continue
            distance = abs(sample.value - mark) / mark
            notional = notionals.get((sample.labels["account"], key), 0.0)
            if at_least <= distance < below and notional >= 100_000:
                return True
        return False

    metrics = (ACCOUNT_INFO, LIQUIDATION_PRICE, POSITION_NOTIONAL, MARK)
    return Signal(condition, metrics, frozenset({ACCOUNTS, MARKET}))


def first_adl_fill_at(scenario: str) -> float:
    for event in load_scenario(scenario).events:
        if isinstance(event, FillsEvent) and event.method == "adl":
            return float(event.at)
    raise ValueError(f"scenario {scenario!r} has no auto-deleveraging fills")


def plans() -> dict[str, Plan]:
    """The onset alerts of every scenario that has them (those the end-to-end tests require)."""
    cascade = "cascade-2025-10-10"
    return {
        "jelly-2025-03-26": Plan(
            "jelly-2025-03-26",
            (
                Watch("HyperliquidHLPBackstopTakeover", "critical", "JELLY", 0, backstop_takeover("JELLY")),
                Watch(
                    "HyperliquidHLPConcentration", "critical", "JELLY", 60, hlp_open_interest_share("JELLY")
                ),
                Watch(
                    "HyperliquidOpenInterestCapReached", "warning", "JELLY", 60, open_interest_cap("JELLY")
                ),
            ),
            timeout_seconds=270,
        ),
        cascade: Plan(
            cascade,
            (
                Watch("HyperliquidHLPBackstopTakeover", "critical", None, 0, backstop_takeover(None)),
                Watch(
                    "HyperliquidAutoDeleveraging",
                    "critical",
                    None,
                    0,
                    auto_deleveraging(None),
                    event_at=first_adl_fill_at(cascade),
                ),
                Watch("HyperliquidOpenInterestDropFast", "warning", None, 30, open_interest_drop(None)),
            ),
            timeout_seconds=240,
        ),
        "eth-whale-2025-03-12": Plan(
            "eth-whale-2025-03-12",
            (Watch("HyperliquidHLPBackstopTakeover", "critical", "ETH", 0, backstop_takeover("ETH")),),
            timeout_seconds=150,
        ),
        # HYPE drifts too and, with Hyperliquid spot as its second source while Bybit is down, alerts as
        # well; the probe does not read spot mids, so only SOL is timed.
        "oracle-deviation": Plan(
            "oracle-deviation",
            (Watch("HyperliquidOracleDeviation", "critical", "SOL", 30, oracle_deviation("SOL")),),
            timeout_seconds=210,
        ),
        # BTC slides for ten minutes before the whale is within 5% of liquidation (about 509 s in):
        # start 7 minutes in, with a minute and a half for the stack to warm up.
        "watched-whale": Plan(
            "watched-whale",
            (
                Watch(
                    "HyperliquidAccountNearLiquidation",
                    "warning",
                    "BTC",
                    30,
                    near_liquidation("BTC", below=0.05, at_least=0.02),
                ),
            ),
            timeout_seconds=270,
            start_offset=420,
        ),
    }
