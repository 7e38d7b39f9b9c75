"""What each scenario's onset alerts look for, written once on exporter-shaped facts.

A condition mirrors its alerting rule's expression (thresholds included) but reads raw metrics, so
the same function finds the first moment the incident shows in the simulator's API, in the exporter's
/metrics and in Prometheus's samples. Signals that the API only shows as fills (auto-deleveraging,
backstop liquidations) cannot be probed cheaply: they start at the scenario event's wall time instead,
or, when the rule also needs facts the probe does see (a liquidation cascade's breadth), at the first
probe snapshot from that time on where those facts hold.

Criticals without `for` that no API signal drives, and so are not timed here: HyperliquidRelayWebhooksRejected
and HyperliquidRelayQueueFull (the relay's own counters of refused webhooks).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.latency_timeline import View
from exporter.replay.scenario import BackstopEvent, FillsEvent, load_scenario

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
ACCOUNT_AUTO_DELEVERAGES = "hyperliquid_account_auto_deleverages_total"
LIQUIDATIONS = "hyperliquid_liquidations_total"
MARKET_INFO = "hyperliquid_market_info"

# Which simulator requests the API probe must make to see a condition's facts: the first dex's market,
# its open-interest caps, the monitored accounts, the reference exchanges, the builder dexes' markets.
MARKET, OI_CAP, ACCOUNTS, PRICES, DEX_MARKETS = "market", "oi_cap", "accounts", "prices", "dex_markets"

# Prometheus's `offset 5m`, `offset 15m`, `[15m]` and `offset 1m` in the rules below.
FIVE_MINUTES, FIFTEEN_MINUTES, ONE_MINUTE = 300.0, 900.0, 60.0

Condition = Callable[[View], bool]


@dataclass(frozen=True)
class Signal:
    condition: Condition
    metrics: tuple[str, ...]  # exporter metric names the condition reads
    feeds: frozenset[str]  # simulator requests that give those facts
    # The part of `condition` the API probe can see, when the rest shows only in fills (see Watch.event_at).
    probed_part: Condition | None = None


@dataclass(frozen=True)
class Watch:
    """One onset alert to time, from the first sign in the API to its chat message."""

    alertname: str
    severity: str
    coin: str | None  # the alert's `coin` label; None: whichever coin shows first
    for_seconds: float  # the rule's `for`
    signal: Signal
    # Scenario seconds of the event that shows the signal (or its fills part, when the signal has a
    # `probed_part`), when the API probe cannot afford to see it.
    event_at: float | None = None

    @property
    def without_for(self) -> bool:
        return self.for_seconds == 0

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


def account_auto_deleveraged(coin: str | None) -> Signal:
    """HyperliquidAccountAutoDeleveraged (critical): a monitored account's own Auto-Deleveraging fill."""

    def condition(view: View) -> bool:
        return any(
            s.value > 0 and _matches(coin, s.labels["coin"]) for s in view.samples(ACCOUNT_AUTO_DELEVERAGES)
        )

    return Signal(condition, (ACCOUNT_AUTO_DELEVERAGES,), frozenset())


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


def _coins_moved(view: View, name: str, *, below: float | None = None, above: float | None = None) -> int:
    """How many coins with $1M or more of open interest have `name` now below (above) that ratio of its
    value 5 minutes ago: the count of hyperliquid:*_falling_coins:count5m / *_rising_coins:count5m."""
    now = view.by(name, "coin")
    before = view.by(name, "coin", seconds_ago=FIVE_MINUTES)
    usd = view.by(OPEN_INTEREST_USD, "coin")
    moved = 0
    for key, value in now.items():
        if before.get(key, 0.0) <= 0 or usd.get(key, 0.0) < 1_000_000:
            continue
        ratio = value / before[key]
        if (below is not None and ratio < below) or (above is not None and ratio > above):
            moved += 1
    return moved


def _counter_increased(view: View, name: str, seconds: float, **matchers: str) -> bool:
    """Whether any coin's counter grew within `seconds` (`sum(max by (coin) (increase(...))) > 0`).
    The exporter starts its counters at 0, so a series absent `seconds` ago counts from 0."""

    def by_coin(seconds_ago: float) -> dict[str, float]:
        values: dict[str, float] = {}
        for sample in view.samples(name, seconds_ago):
            if all(sample.labels.get(label) == value for label, value in matchers.items()):
                key = sample.labels["coin"]
                values[key] = max(values.get(key, sample.value), sample.value)
        return values

    before = by_coin(seconds)
    return any(value > before.get(key, 0.0) for key, value in by_coin(0.0).items())


def cascade_breadth(view: View) -> bool:
    """The market half of HyperliquidLiquidationCascade: open interest (in coins) down 5% in 5m in 5 or
    more coins, and mark down (or up) 5% in 5m in 5 or more, counting coins with $1M or more of OI."""
    return _coins_moved(view, OPEN_INTEREST_SIZE, below=0.95) >= 5 and (
        _coins_moved(view, MARK, below=0.95) >= 5 or _coins_moved(view, MARK, above=1.05) >= 5
    )


def liquidation_cascade() -> Signal:
    """HyperliquidLiquidationCascade (critical): the breadth above, with auto-deleveraging or backstop
    liquidations counted in the last 5 minutes. Venue-wide: the alert has no coin label."""

    def backstop_or_adl(view: View) -> bool:
        return _counter_increased(view, AUTO_DELEVERAGES, FIVE_MINUTES) or _counter_increased(
            view, LIQUIDATIONS, FIVE_MINUTES, method="backstop"
        )

    def condition(view: View) -> bool:
        return cascade_breadth(view) and backstop_or_adl(view)

    metrics = (OPEN_INTEREST_SIZE, OPEN_INTEREST_USD, MARK, AUTO_DELEVERAGES, LIQUIDATIONS)
    return Signal(condition, metrics, frozenset({MARKET}), probed_part=cascade_breadth)


def market_delisted(coin: str | None) -> Signal:
    """HyperliquidMarketDelisted (critical): the market is delisted now and was not 15 minutes ago, and
    HLP (any child) or a watched account held it at some point in the last 15 minutes."""
    monitored = {"hlp", "hlp_liquidator", "watched"}

    def delisted(view: View, seconds_ago: float = 0.0) -> set[str]:
        return {
            s.labels["coin"]
            for s in view.samples(MARKET_INFO, seconds_ago)
            if s.labels.get("delisted") == "true" and _matches(coin, s.labels["coin"])
        }

    def held_within_15m(view: View, coins: set[str]) -> bool:
        for snapshot_view in view.looking_back(FIFTEEN_MINUTES):
            accounts = _accounts_with_role(snapshot_view, monitored)
            if any(
                s.labels["account"] in accounts and s.labels["coin"] in coins and s.value > 0
                for s in snapshot_view.samples(POSITION_NOTIONAL)
            ):
                return True
        return False

    def condition(view: View) -> bool:
        new = delisted(view) - delisted(view, FIFTEEN_MINUTES)
        return bool(new) and held_within_15m(view, new)

    metrics = (MARKET_INFO, ACCOUNT_INFO, POSITION_NOTIONAL)
    return Signal(condition, metrics, frozenset({MARKET, ACCOUNTS}))


def _by_dex_coin(view: View, name: str, seconds_ago: float = 0.0) -> dict[tuple[str, str], float]:
    """`max by (dex, coin) (name{dex!=""})`: builder-dex series only."""
    values: dict[tuple[str, str], float] = {}
    for sample in view.samples(name, seconds_ago):
        dex = sample.labels.get("dex", "")
        if dex:
            key = (dex, sample.labels["coin"])
            values[key] = max(values.get(key, sample.value), sample.value)
    return values


def builder_dex_oracle_walk(coin: str | None, change: float = 0.03, lag: float = 0.01) -> Signal:
    """HyperliquidBuilderDexOracleWalk (critical): a builder dex's oracle moved more than 3% in 1m while
    its mark lags the oracle by more than 1% against the move."""

    def condition(view: View) -> bool:
        oracles = _by_dex_coin(view, ORACLE)
        before = _by_dex_coin(view, ORACLE, seconds_ago=ONE_MINUTE)
        marks = _by_dex_coin(view, MARK)
        for key, oracle in oracles.items():
            if not _matches(coin, key[1]) or before.get(key, 0.0) <= 0 or key not in marks:
                continue
            moved = oracle / before[key] - 1
            deviation = marks[key] / oracle - 1
            if (moved > change and deviation < -lag) or (moved < -change and deviation > lag):
                return True
        return False

    return Signal(condition, (ORACLE, MARK), frozenset({DEX_MARKETS}))


def first_adl_fill_at(scenario: str) -> float:
    for event in load_scenario(scenario).events:
        if isinstance(event, FillsEvent) and event.method == "adl":
            return float(event.at)
    raise ValueError(f"scenario {scenario!r} has no auto-deleveraging fills")


def first_counterparty_adl_fill_at(scenario: str) -> float:
    """The first ADL burst with a listed (watched) counterparty: its Auto-Deleveraging fill's time."""
    for event in load_scenario(scenario).events:
        if isinstance(event, FillsEvent) and event.method == "adl" and event.counterparties:
            return float(event.at)
    raise ValueError(f"scenario {scenario!r} deleverages no listed account")


def first_backstop_or_adl_fill_at(scenario: str) -> float:
    """The earliest fill that moves either counter of the cascade rule: a backstop or an ADL."""
    times = [
        float(event.at)
        for event in load_scenario(scenario).events
        if isinstance(event, BackstopEvent)
        or (isinstance(event, FillsEvent) and event.method in {"adl", "backstop"})
    ]
    if not times:
        raise ValueError(f"scenario {scenario!r} has no backstop or auto-deleveraging fills")
    return min(times)


def plans() -> dict[str, Plan]:
    """The onset alerts of every scenario that has them (those the end-to-end tests require), and every
    critical without `for` that an API signal drives."""
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
        # The cascade rule compares with 5 minutes ago (`offset 5m`): start 5 minutes before the crash so
        # Prometheus has that history when the breadth shows (about 100 s in), as a running stack would.
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
                Watch(
                    "HyperliquidLiquidationCascade",
                    "critical",
                    None,
                    0,
                    liquidation_cascade(),
                    event_at=first_backstop_or_adl_fill_at(cascade),
                ),
                Watch(
                    "HyperliquidAccountAutoDeleveraged",
                    "critical",
                    "ETH",
                    0,
                    account_auto_deleveraged("ETH"),
                    event_at=first_counterparty_adl_fill_at(cascade),
                ),
                Watch("HyperliquidOpenInterestDropFast", "warning", None, 30, open_interest_drop(None)),
            ),
            timeout_seconds=540,
            start_offset=-FIVE_MINUTES,
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
        # DLX (held by HLP since 5 s) is delisted at 300 s: start 2 minutes before, after the position
        # is open, so the stack has seen it held.
        "delisting-precursors": Plan(
            "delisting-precursors",
            (Watch("HyperliquidMarketDelisted", "critical", "DLX", 0, market_delisted("DLX")),),
            timeout_seconds=240,
            start_offset=180,
        ),
        # The walk starts at 240 s and the rule compares with a minute ago: start 90 s before it.
        # Issue 16: in a chat within a minute of the walk's start.
        "hip3-oracle-walk": Plan(
            "hip3-oracle-walk",
            (
                Watch(
                    "HyperliquidBuilderDexOracleWalk",
                    "critical",
                    "xyz:TSLA",
                    10,
                    builder_dex_oracle_walk("xyz:TSLA"),
                ),
            ),
            timeout_seconds=210,
            start_offset=150,
        ),
    }
