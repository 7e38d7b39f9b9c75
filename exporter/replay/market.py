"""The market side of a scenario: the perp universe; each coin's prices, open interest and flags over time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from exporter.replay.baseline import default_builder_dexes, long_tail_coins, major_coins
from exporter.replay.paths import Path
from exporter.replay.scenario import (
    EXCHANGES,
    CoinSpec,
    DelistEvent,
    DeployerEvent,
    DexSpec,
    Exchange,
    MarginMode,
    MarginTiersEvent,
    MarketRulesEvent,
    MarketSpec,
    OpenInterestCapEvent,
    OracleWalkEvent,
    OutageEvent,
    PegEvent,
    Quantity,
    RampEvent,
    ScenarioError,
    Stablecoin,
    StablecoinEvent,
)

DAY_SECONDS = 86_400.0
# Hyperps: the oracle is an 8-hour EMA of the mark; a mean of 48 samples over 8 hours stands in for it.
HYPERP_ORACLE_WINDOW_SECONDS = 8 * 3_600.0
HYPERP_ORACLE_SAMPLES = 48
DEFAULT_USDC_USDT = 1.0001
QUANTITIES: tuple[Quantity, ...] = (
    "price",
    "oracle_offset",
    "mark_premium",
    "open_interest",
    "funding",
    "day_volume_usd",
    "external_volume_usd",
)


@dataclass
class CoinTrack:
    spec: CoinSpec
    index: int
    paths: dict[Quantity, Path]
    cap: Path = field(default_factory=lambda: Path(0.0))
    # (time, mode) from the start; the latest at or before a time applies
    margin_modes: list[tuple[float, MarginMode | None]] = field(default_factory=list)
    max_leverage: Path = field(default_factory=lambda: Path(0.0))
    delisted_at: float | None = None
    settle_price: float | None = None
    wiggle_phase: float = 0.0
    # Deployer-controlled (builder dexes): halted 0/1, the coin's own cap (0: the dex's default), funding
    # multiplier (published only: the simulated funding rate does not use it).
    halted: Path = field(default_factory=lambda: Path(0.0))
    own_cap_usd: Path = field(default_factory=lambda: Path(0.0))
    funding_multiplier: Path = field(default_factory=lambda: Path(1.0))
    # (time, [(lower bound USD, max leverage), ...]): margin tables set by `margin_tiers` events.
    margin_tiers: list[tuple[float, tuple[tuple[float, float], ...]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dex(self) -> str:
        """The builder dex of a `dex:COIN` perp; "" for the first dex."""
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def listed_on(self) -> list[Exchange]:
        if self.dex:
            return []  # a deployer's oracle: no reference exchange quotes a builder-dex perp
        if self.spec.listed_on is not None:
            return self.spec.listed_on
        return [] if self.spec.hyperp else list(EXCHANGES)

    def is_delisted(self, time: float) -> bool:
        return self.delisted_at is not None and time >= self.delisted_at

    def margin_mode_at(self, time: float) -> MarginMode | None:
        current = self.spec.margin_mode
        for start, mode in self.margin_modes:
            if start <= time:
                current = mode
        return current

    def max_leverage_at(self, time: float) -> int:
        return round(self.max_leverage.value_at(time))

    def is_halted(self, time: float) -> bool:
        return self.halted.value_at(time) > 0.5

    def tiers_at(self, time: float) -> tuple[int, tuple[tuple[float, float], ...]] | None:
        """(table number among this coin's changes, tiers) of the latest `margin_tiers` event, if any."""
        current = None
        for number, (start, tiers) in enumerate(self.margin_tiers, start=1):
            if start <= time:
                current = (number, tiers)
        return current


@dataclass(frozen=True)
class CoinQuote:
    """One coin's market at one instant, as floats; None where the API gives null."""

    track: CoinTrack
    delisted: bool
    reference_usd: float | None
    oracle: float
    mark: float
    mid: float | None
    impact: tuple[float, float] | None
    premium: float | None
    funding: float
    open_interest: float
    day_volume_usd: float
    prev_day_price: float


@dataclass(frozen=True)
class Outage:
    exchange: Exchange
    start: float
    end: float
    status: int


def resolve_coins(spec: MarketSpec) -> list[CoinSpec]:
    coins: dict[str, CoinSpec] = {coin.name: coin for coin in major_coins()} if spec.baseline else {}
    seen: set[str] = set()
    for position, override in enumerate(spec.coins):
        if override.name in seen:
            raise ScenarioError(f"market.coins.{position}: coin {override.name} is listed twice")
        seen.add(override.name)
        if override.name in coins:
            updates = {name: getattr(override, name) for name in override.model_fields_set}
            coins[override.name] = coins[override.name].model_copy(update=updates)
        elif override.price is None:
            raise ScenarioError(
                f"market.coins.{position}: coin {override.name} is not in the baseline, so it needs a price"
            )
        else:
            coins[override.name] = override
    resolved = list(coins.values())
    if spec.long_tail is not None:
        resolved += long_tail_coins(spec.long_tail, set(coins))
    if not resolved:
        raise ScenarioError("market: no coins (set baseline: true or list coins)")
    return resolved


def resolve_dex_coins(dexes: list[DexSpec]) -> list[CoinSpec]:
    coins: list[CoinSpec] = []
    names = [dex.name for dex in dexes]
    for position, dex in enumerate(dexes):
        if names.count(dex.name) > 1:
            raise ScenarioError(f"market.dexes.{position}: dex {dex.name} is listed twice")
        for index, coin in enumerate(dex.coins):
            if coin.price is None:
                raise ScenarioError(f"market.dexes.{position}.coins.{index}: coin {coin.name} needs a price")
            coins.append(coin.model_copy(update={"name": f"{dex.name}:{coin.name}", "listed_on": []}))
    return coins


class Market:
    def __init__(self, spec: MarketSpec, seed: int) -> None:
        self._wiggle = spec.wiggle
        self.coins: list[CoinTrack] = []
        default_dexes = default_builder_dexes() if spec.baseline else []
        self.dexes: list[DexSpec] = spec.dexes if spec.dexes is not None else default_dexes
        rng = random.Random(seed)
        for index, coin in enumerate(resolve_coins(spec) + resolve_dex_coins(self.dexes)):
            assert coin.price is not None  # resolve_coins guarantees it
            initial = {
                "price": coin.price,
                "oracle_offset": coin.oracle_offset,
                "mark_premium": coin.mark_premium,
                "open_interest": 0.0 if coin.delisted else coin.open_interest,
                "funding": coin.funding,
                "day_volume_usd": 0.0 if coin.delisted else coin.day_volume_usd,
                "external_volume_usd": (
                    0.0
                    if coin.delisted
                    else coin.external_volume_usd
                    if coin.external_volume_usd is not None
                    else coin.day_volume_usd
                ),
            }
            paths: dict[Quantity, Path] = {quantity: Path(initial[quantity]) for quantity in QUANTITIES}
            track = CoinTrack(
                spec=coin,
                index=index,
                paths=paths,
                max_leverage=Path(float(coin.max_leverage)),
                wiggle_phase=rng.uniform(0, 2 * math.pi),
            )
            if coin.delisted:
                track.delisted_at = float("-inf")
                track.settle_price = coin.price
            self.coins.append(track)
        self.by_name = {track.name: track for track in self.coins}
        # Each exchange's USDC/USDT quote relative to the cross rate (see usdc_usdt_rate).
        self.usdc_usdt: dict[Exchange, Path] = {
            exchange: Path(spec.usdc_usdt.get(exchange, DEFAULT_USDC_USDT)) for exchange in EXCHANGES
        }
        self.usd_rate: dict[Stablecoin, Path] = {
            "USDT": Path(spec.usdt_usd),
            "USDC": Path(spec.usdc_usd),
            "USDH": Path(spec.usdh_usd),
        }
        self.oracle_lag = spec.oracle_lag_seconds
        self.outages: list[Outage] = []
        # Per dex: (time, function, address) of each sub-deployer added, and the dex-wide cap over time.
        self.sub_deployers: dict[str, list[tuple[float, str, str]]] = {dex.name: [] for dex in self.dexes}
        self.total_caps: dict[str, Path] = {
            dex.name: Path(dex.total_open_interest_cap_usd) for dex in self.dexes
        }

    # --- compiling events ---

    def coin(self, name: str, where: str) -> CoinTrack:
        track = self.by_name.get(name)
        if track is None:
            raise ScenarioError(f"{where}: unknown coin {name!r}")
        return track

    def select(self, names: list[str], time: float, where: str) -> list[CoinTrack]:
        if names == ["*"]:
            return [t for t in self.coins if not t.is_delisted(time) and not t.spec.hyperp and not t.dex]
        return [self.coin(name, where) for name in names]

    def apply_ramp(self, event: RampEvent, rng: random.Random, where: str) -> None:
        for track in self.select(event.coins, event.at, where):
            path = track.paths[event.quantity]
            if event.to is not None:
                target = event.to
            else:
                assert event.by_ratio is not None
                ratio = event.by_ratio * (1 + rng.uniform(-event.jitter, event.jitter))
                target = path.value_at(event.at) * max(ratio, 0.0)
            path.ramp(event.at, target, event.over)

    def apply_cap(self, event: OpenInterestCapEvent, where: str) -> None:
        self.coin(event.coin, where).cap.step(event.at, 1.0 if event.at_cap else 0.0)

    def apply_rules(self, event: MarketRulesEvent, where: str) -> None:
        track = self.coin(event.coin, where)
        if event.margin_mode is not None:
            track.margin_modes.append((event.at, event.margin_mode))
        if event.max_leverage is not None:
            track.max_leverage.step(event.at, float(event.max_leverage))

    def apply_oracle_walk(self, event: OracleWalkEvent, where: str) -> None:
        """Step by step, as setOracle calls: oracle x (1 + step) per update, the mark part of the way."""
        track = self.coin(event.coin, where)
        if not track.dex:
            raise ScenarioError(f"{where}: {event.coin} is not a builder-dex coin (DEX:COIN)")
        offset = track.paths["oracle_offset"].value_at(event.at)
        premium = track.paths["mark_premium"].value_at(event.at)
        for update in range(1, event.updates + 1):
            time = event.at + (update - 1) * event.every_seconds
            oracle_ratio = (1 + event.step_ratio) ** update
            mark_ratio = 1 + event.mark_follow * (oracle_ratio - 1)
            track.paths["oracle_offset"].step(time, (1 + offset) * oracle_ratio - 1)
            track.paths["mark_premium"].step(time, (1 + premium) * mark_ratio / oracle_ratio - 1)

    def apply_delist(self, event: DelistEvent, where: str) -> None:
        track = self.coin(event.coin, where)
        if track.delisted_at is not None:
            raise ScenarioError(f"{where}: {event.coin} is already delisted")
        track.delisted_at = event.at
        track.settle_price = event.settle_price
        track.cap.step(event.at, 0.0)

    def apply_deployer(self, event: DeployerEvent, where: str) -> None:
        if self.dex(event.dex) is None:
            raise ScenarioError(f"{where}: unknown dex {event.dex!r}")
        if event.sub_deployer is not None:
            self.sub_deployers[event.dex].append((event.at, event.function, event.sub_deployer))
        if event.total_open_interest_cap_usd is not None:
            self.total_caps[event.dex].step(event.at, event.total_open_interest_cap_usd)
        if event.coin is None:
            return
        track = self.coin(event.coin, where)
        if track.dex != event.dex:
            raise ScenarioError(f"{where}: {event.coin} is not on dex {event.dex}")
        if event.halted is not None:
            track.halted.step(event.at, 1.0 if event.halted else 0.0)
        if event.open_interest_cap_usd is not None:
            track.own_cap_usd.step(event.at, event.open_interest_cap_usd)
        if event.funding_multiplier is not None:
            track.funding_multiplier.step(event.at, event.funding_multiplier)

    def apply_margin_tiers(self, event: MarginTiersEvent, where: str) -> None:
        track = self.coin(event.coin, where)
        if track.dex:
            raise ScenarioError(f"{where}: margin_tiers is for first-dex coins, not {event.coin}")
        track.margin_tiers.append((event.at, tuple((tier[0], tier[1]) for tier in event.tiers)))
        track.margin_tiers.sort(key=lambda change: change[0])

    def coin_cap_usd(self, track: CoinTrack, time: float) -> float:
        """A builder-dex coin's open-interest cap: its own when a deployer set one, else the dex's."""
        own = track.own_cap_usd.value_at(time)
        if own > 0:
            return own
        spec = self.dex(track.dex)
        return spec.open_interest_cap_usd if spec is not None else 0.0

    def sub_deployers_at(self, dex: str, time: float) -> list[tuple[str, list[str]]]:
        grouped: dict[str, list[str]] = {}
        for start, function, address in self.sub_deployers.get(dex, []):
            if start <= time and address not in grouped.setdefault(function, []):
                grouped[function].append(address)
        return sorted(grouped.items())

    def apply_outage(self, event: OutageEvent) -> None:
        end = event.at + event.duration if event.duration is not None else float("inf")
        self.outages.append(Outage(event.exchange, event.at, end, event.status))

    def apply_stablecoin(self, event: StablecoinEvent) -> None:
        self.usdc_usdt[event.exchange].ramp(event.at, event.to, event.over)

    def apply_peg(self, event: PegEvent) -> None:
        self.usd_rate[event.stablecoin].ramp(event.at, event.to, event.over)

    # --- reading state ---

    def usdc_usdt_rate(self, exchange: Exchange, time: float) -> float:
        """What the exchange quotes for 1 USDC in USDT: the cross rate times its local wobble."""
        cross = self.usd_rate["USDC"].value_at(time) / self.usd_rate["USDT"].value_at(time)
        return cross * self.usdc_usdt[exchange].value_at(time)

    def in_currency(self, usd: float, currency: Stablecoin, time: float) -> float:
        return usd / self.usd_rate[currency].value_at(time)

    def reference_price(self, track: CoinTrack, time: float) -> float:
        """The coin's USD price on the exchanges."""
        price = track.paths["price"].value_at(time)
        if self._wiggle is not None:
            angle = 2 * math.pi * time / self._wiggle.period_seconds + track.wiggle_phase
            price *= 1 + self._wiggle.amplitude * math.sin(angle)
        return price

    def oracle_price(self, track: CoinTrack, time: float) -> float:
        if track.is_delisted(time):
            assert track.settle_price is not None
            return track.settle_price
        if track.spec.hyperp:
            step = HYPERP_ORACLE_WINDOW_SECONDS / HYPERP_ORACLE_SAMPLES
            samples = [self._hyperp_mark(track, time - k * step) for k in range(HYPERP_ORACLE_SAMPLES)]
            return sum(samples) / len(samples)
        # In its quote currency, as the exchanges were `oracle_lag` seconds ago.
        seen = time - self.oracle_lag
        quoted = self.in_currency(self.reference_price(track, seen), track.spec.quote, seen)
        return quoted * (1 + track.paths["oracle_offset"].value_at(time))

    def mark_price(self, track: CoinTrack, time: float) -> float:
        if track.is_delisted(time):
            assert track.settle_price is not None
            return track.settle_price
        if track.spec.hyperp:
            return self._hyperp_mark(track, time)
        return self.oracle_price(track, time) * (1 + track.paths["mark_premium"].value_at(time))

    def mark_by_name(self, coin: str, time: float) -> float:
        return self.mark_price(self.by_name[coin], time)

    def _hyperp_mark(self, track: CoinTrack, time: float) -> float:
        return self.reference_price(track, time) * (1 + track.paths["mark_premium"].value_at(time))

    def quote(self, track: CoinTrack, time: float) -> CoinQuote:
        delisted = track.is_delisted(time)
        oracle = self.oracle_price(track, time)
        mark = self.mark_price(track, time)
        prev_day = self.mark_price(track, time - DAY_SECONDS)
        if delisted:
            return CoinQuote(track, True, None, oracle, mark, None, None, None, 0.0, 0.0, 0.0, prev_day)
        volume = track.paths["day_volume_usd"].value_at(time)
        open_interest = track.paths["open_interest"].value_at(time)
        thin = track.spec.thin_book
        # Impact prices widen as the market shrinks: 2 bp at $1B of daily volume (or of twice the
        # open interest, whichever is deeper), capped at 2%. Markets with $10M+ of open interest
        # stay under the 1% that HyperliquidLiquidityThin reads as thin.
        depth = max(volume, 2 * open_interest * mark, 1e4)
        half_spread = min(0.02, 0.0002 * math.sqrt(1e9 / depth))
        return CoinQuote(
            track=track,
            delisted=False,
            reference_usd=None if track.spec.hyperp else self.reference_price(track, time),
            oracle=oracle,
            mark=mark,
            mid=None if thin else mark,
            impact=None if thin else (mark * (1 - half_spread), mark * (1 + half_spread)),
            premium=(mark - oracle) / oracle,
            funding=track.paths["funding"].value_at(time),
            open_interest=open_interest,
            day_volume_usd=volume,
            prev_day_price=prev_day,
        )

    def on_dex(self, dex: str) -> list[CoinTrack]:
        return [track for track in self.coins if track.dex == dex]

    def quotes(self, time: float, dex: str = "") -> list[CoinQuote]:
        return [self.quote(track, time) for track in self.on_dex(dex)]

    def coins_at_cap(self, time: float, dex: str = "") -> list[str]:
        return [t.name for t in self.on_dex(dex) if not t.is_delisted(time) and t.cap.value_at(time) > 0.5]

    def dex(self, name: str) -> DexSpec | None:
        return next((dex for dex in self.dexes if dex.name == name), None)

    def dex_listed(self, dex: DexSpec, time: float) -> bool:
        after_start = dex.listed_from is None or time >= dex.listed_from
        return after_start and (dex.listed_until is None or time < dex.listed_until)

    def outage_status(self, exchange: Exchange, time: float) -> int | None:
        for outage in self.outages:
            if outage.exchange == exchange and outage.start <= time < outage.end:
                return outage.status
        return None
