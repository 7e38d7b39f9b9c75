"""The scenario file format: strict pydantic models, loaded from YAML with errors that name the bad key.

Times (`at`, `over`, path points) are scenario seconds; t=0 is when the simulator starts (or
`--start-offset`). A coin's `price` is its USD price on the exchanges; Hyperliquid's oracle and mark are
that price in the coin's quote currency (USDT, or USDC for `quote: USDC`), so a stablecoin's USD rate
(`market.usdt_usd`, `market.usdc_usd`, `peg` events) moves them. Sizes are coins (signed: negative is
short), rates are ratios.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from exporter.replay.faults import Fault

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"

Exchange = Literal["binance", "okx", "bybit", "kraken", "kucoin", "gate", "mexc", "coinbase"]
Stablecoin = Literal["USDT", "USDC", "USDH"]
EXCHANGES: tuple[Exchange, ...] = ("binance", "okx", "bybit", "kraken", "kucoin", "gate", "mexc", "coinbase")
# `marginMode` as meta spells it; strictIsolated and noCross (isolated only) came before delistings.
MarginMode = Literal["strictIsolated", "noCross", "isolated", "cross"]
Quantity = Literal[
    "price",
    "oracle_offset",
    "mark_premium",
    "open_interest",
    "funding",
    "day_volume_usd",
    "external_volume_usd",
]

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the file and the offending key."""


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not a 0x-prefixed 40-hex-digit address")
    return value.lower()


def _sorted_points(points: list[list[float]]) -> list[list[float]]:
    if not points:
        raise ValueError("a path needs at least one [seconds, value] point")
    times = [point[0] for point in points]
    if times != sorted(times):
        raise ValueError("path points must be in increasing time order")
    return points


Address = Annotated[str, AfterValidator(_address)]
Seconds = Annotated[float, Field(ge=0)]
PositivePrice = Annotated[float, Field(gt=0)]
PathPoint = Annotated[list[float], Field(min_length=2, max_length=2)]  # [seconds, value]
TimePath = Annotated[list[PathPoint], AfterValidator(_sorted_points)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CoinSpec(StrictModel):
    """One perp. Fields left out take the built-in baseline's value for that coin (or the defaults)."""

    name: str = Field(min_length=1, max_length=20)
    price: PositivePrice | None = None  # reference (CEX) USD price at t=0; for a hyperp, its mark
    sz_decimals: Annotated[int, Field(ge=0, le=8)] = 2
    max_leverage: Annotated[int, Field(ge=1, le=100)] = 10
    open_interest: Annotated[float, Field(ge=0)] = 0.0  # coins
    day_volume_usd: Annotated[float, Field(ge=0)] = 0.0
    # 24-hour notional on each reference exchange quoting it, in USD; default: as much as on Hyperliquid.
    external_volume_usd: Annotated[float, Field(ge=0)] | None = None
    funding: float = 0.0000125  # hourly
    oracle_offset: float = 0.0  # oracle = price * (1 + oracle_offset)
    mark_premium: float = 0.0  # mark = oracle * (1 + mark_premium)
    hyperp: bool = False  # pre-launch perp: no reference price, oracle follows its own mark
    delisted: bool = False
    thin_book: bool = False  # midPx and impactPxs are null
    listed_on: list[Exchange] | None = None  # reference exchanges quoting it; default all (none for hyperps)
    exchange_symbol: str | None = None  # base asset on the exchanges when it differs (kPEPE -> PEPE)
    exchange_units: Annotated[float, Field(gt=0)] = 1.0  # exchange units per coin (kPEPE: 1000)
    quote: Literal["USDT", "USDC"] = (
        "USDT"  # the oracle's currency: USDT, or USDC for USDC-denominated perps (HYPE)
    )
    spot_pair: str | None = None  # its Hyperliquid spot pair's allMids key (HYPE: "@107"), quoted in USDC
    margin_table_id: int | None = None
    margin_mode: MarginMode | None = None  # `marginMode` in meta; absent means cross margin is allowed


class LongTailSpec(StrictModel):
    """Synthetic small perps filling the universe up to mainnet size, generated from a seed."""

    count: Annotated[int, Field(ge=0, le=1000)]
    seed: int = 0
    thin_book_share: Annotated[float, Field(ge=0, le=1)] = 0.1


class WiggleSpec(StrictModel):
    """Small deterministic oscillation of every price, so a calm market is not perfectly flat."""

    amplitude: Annotated[float, Field(ge=0, le=0.05)] = 0.002
    period_seconds: Annotated[float, Field(gt=0)] = 600.0


class DexSpec(StrictModel):
    """A builder-deployed perp dex (HIP-3); its coins are named `NAME:COIN` in every response."""

    name: str = Field(pattern=r"^[a-z0-9]{1,6}$")
    full_name: str = ""
    deployer: Address = "0x00000000000000000000000000000000000000d1"
    oracle_updater: Address | None = None
    coins: list[CoinSpec] = Field(min_length=1)  # bare names (TSLA); prices are the deployer's oracle
    open_interest_cap_usd: Annotated[float, Field(gt=0)] = 250_000_000.0  # per coin
    collateral_token: Annotated[int, Field(ge=0)] = 0  # spot token index (0: USDC, 360: USDH)
    total_open_interest_cap_usd: Annotated[float, Field(gt=0)] = 500_000_000.0
    net_deposit: TimePath = Field(default_factory=lambda: [[0.0, 100_000_000.0]])  # USDC in minus out
    listed_from: float | None = None  # absent from perpDexs before this scenario second
    listed_until: float | None = None  # absent from perpDexs from this scenario second


class MarketSpec(StrictModel):
    baseline: bool = True  # start from the built-in list of major perps (exporter/replay/baseline.py)
    # Builder dexes; absent: the two calm built-in ones (baseline.py) when `baseline` is true.
    dexes: list[DexSpec] | None = None
    long_tail: LongTailSpec | None = None
    coins: list[CoinSpec] = Field(default_factory=list)
    wiggle: WiggleSpec | None = None
    # Each exchange's USDC/USDT quote relative to the cross rate usdc_usd / usdt_usd (1: in line).
    usdc_usdt: dict[Exchange, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    # The stablecoins' USD prices at t=0 (`peg` events move them).
    usdt_usd: Annotated[float, Field(gt=0)] = 1.0
    usdc_usd: Annotated[float, Field(gt=0)] = 1.0
    # USDH (Native Markets' stablecoin, traded against USDC on Hyperliquid spot only here).
    usdh_usd: Annotated[float, Field(gt=0)] = 1.0
    # The oracle follows the exchanges this many seconds late (validators publish every ~3 s).
    oracle_lag_seconds: Annotated[float, Field(ge=0, le=60)] = 3.0


class PositionSpec(StrictModel):
    coin: str
    size: float  # signed coins
    entry_price: PositivePrice | None = None  # default: the mark at t=0
    leverage: Annotated[int, Field(ge=1, le=100)] = 10
    margin: Literal["cross", "isolated"] = "cross"


class AccountSpec(StrictModel):
    address: Address
    name: str = Field(min_length=1, max_length=64)
    deposits: float = 0.0  # USD collateral put in (account value = deposits + realized + unrealized PnL)
    positions: list[PositionSpec] = Field(default_factory=list)


class VaultChildSpec(AccountSpec):
    liquidator: bool = False


class HlpSpec(StrictModel):
    """The HLP parent vault. `children` default to the seven mainnet children (baseline.py)."""

    address: Address = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
    name: str = "Hyperliquidity Provider (HLP)"
    leader: Address = "0x677d831aef5328190852e24f13c46cac05f984e7"
    deposits: float = 1_000_000.0  # the parent's own clearinghouse account value
    children: list[VaultChildSpec] | None = None
    child_overrides: list[VaultChildSpec] = Field(default_factory=list)  # replace defaults by address
    account_value: TimePath = Field(default_factory=lambda: [[0.0, 400_000_000.0]])
    pnl: TimePath = Field(default_factory=lambda: [[0.0, 60_000_000.0]])  # cumulative all-time PnL
    apr: float = 0.1
    followers: Annotated[int, Field(ge=0, le=100)] = 5


class StakerSpec(StrictModel):
    """One account's HYPE staking as delegatorSummary gives it (constant over the scenario)."""

    address: Address
    delegated_hype: Annotated[float, Field(ge=0)] = 0.0
    undelegated_hype: Annotated[float, Field(ge=0)] = 0.0
    pending_withdrawal_hype: Annotated[float, Field(ge=0)] = 0.0  # in the 7-day unstaking queue
    pending_withdrawals: Annotated[int, Field(ge=0)] = 0


class GovernanceSpec(StrictModel):
    """The validator set (validatorSummaries), the Assistance Fund's HYPE (spotClearinghouseState) and
    accounts' staking (delegatorSummary; any other account stakes nothing)."""

    validators: Annotated[int, Field(ge=1, le=200)] = 24
    total_stake_hype: Annotated[float, Field(gt=0)] = 430_000_000.0
    largest_stake_share: Annotated[float, Field(gt=0, le=1)] = 0.12  # the rest is shared equally
    assistance_fund_hype: TimePath = Field(default_factory=lambda: [[0.0, 40_000_000.0]])
    stakers: list[StakerSpec] = Field(default_factory=list)


class EventBase(StrictModel):
    at: Seconds


class RampEvent(EventBase):
    """Move a market quantity of some coins (or `["*"]`: every listed non-hyperp coin) linearly."""

    kind: Literal["ramp"]
    coins: list[str] = Field(min_length=1)
    quantity: Quantity
    to: float | None = None
    by_ratio: Annotated[float, Field(ge=0)] | None = None  # multiply the value at `at`
    jitter: Annotated[float, Field(ge=0, le=1)] = 0.0  # per-coin spread of by_ratio, from the seed
    over: Seconds = 0.0

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.to is None) == (self.by_ratio is None):
            raise ValueError("give exactly one of `to` and `by_ratio`")
        if self.jitter and self.by_ratio is None:
            raise ValueError("`jitter` only applies to `by_ratio`")
        return self


class PositionEvent(EventBase):
    """Set an account's position in a coin to `size`, ramping over `over` seconds, with optional fills."""

    kind: Literal["position"]
    account: str  # address or name
    coin: str
    size: float
    entry_price: PositivePrice | None = None  # default: the current entry, or the mark for a new position
    leverage: Annotated[int, Field(ge=1, le=100)] | None = None
    over: Seconds = 0.0
    fills: Annotated[int, Field(ge=0, le=10_000)] = 0


class TransferEvent(EventBase):
    """Deposit (positive) or withdraw (negative) USD collateral."""

    kind: Literal["transfer"]
    account: str
    usd: float


class BackstopEvent(EventBase):
    """A liquidation backstop: the account's whole position moves to a liquidator vault at `price`."""

    kind: Literal["backstop"]
    account: str
    liquidator: str
    coin: str
    price: PositivePrice
    remaining_equity: float = 0.0  # what the liquidated account keeps


class FillsEvent(EventBase):
    """A burst of fills on one account: market liquidations, backstops or auto-deleveraging."""

    kind: Literal["fills"]
    account: str
    coins: list[str] = Field(min_length=1)  # or ["*"]; fills cycle through them
    count: Annotated[int, Field(ge=1, le=20_000)]
    method: Literal["market", "backstop", "adl"]
    side: Literal["B", "A"] = "A"
    notional_usd: Annotated[float, Field(gt=0)] = 50_000.0  # per fill, priced at the coin's mark
    liquidated_user: Address | None = None  # market and backstop only: the liquidated account
    # adl only: the accounts deleveraged, one a fill in order (the rest are unlisted addresses). Each
    # must hold the opposite side of the fill's coin.
    counterparties: list[str] = Field(default_factory=list)
    same_millisecond: bool = True
    spread_over: Seconds = 0.0  # when not in one millisecond, fills are spread evenly over this

    @model_validator(mode="after")
    def _sides_fit_the_method(self) -> Self:
        if self.method == "adl" and self.liquidated_user is not None:
            raise ValueError(
                "an adl burst's own fills name its account as liquidatedUser: give `counterparties` "
                "(the accounts deleveraged), not `liquidated_user`"
            )
        if self.method != "adl" and self.counterparties:
            raise ValueError("`counterparties` is for adl bursts only")
        if len(self.counterparties) > self.count:
            raise ValueError(f"{len(self.counterparties)} counterparties for {self.count} fills")
        return self


class MarketRulesEvent(EventBase):
    """Hyperliquid changes a market's rules: isolated-only margin, lower maximum leverage (delisting signs)"""

    kind: Literal["market_rules"]
    coin: str
    margin_mode: MarginMode | None = None
    max_leverage: Annotated[int, Field(ge=1, le=100)] | None = None

    @model_validator(mode="after")
    def _some_change(self) -> Self:
        if self.margin_mode is None and self.max_leverage is None:
            raise ValueError("give `margin_mode`, `max_leverage` or both")
        return self


class OpenInterestCapEvent(EventBase):
    kind: Literal["oi_cap"]
    coin: str
    at_cap: bool = True


class OracleWalkEvent(EventBase):
    """A HIP-3 deployer moves a coin's oracle by `step_ratio` per setOracle call (the 1 % cap), every
    `every_seconds` (at least 2.5 s apart), `updates` times; the mark follows `mark_follow` of the way."""

    kind: Literal["oracle_walk"]
    coin: str  # DEX:COIN
    updates: Annotated[int, Field(ge=1, le=10_000)]
    step_ratio: Annotated[float, Field(ge=-0.01, le=0.01)] = 0.01
    every_seconds: Annotated[float, Field(ge=2.5)] = 3.0
    mark_follow: Annotated[float, Field(ge=0, le=1)] = 0.5


class DeployerEvent(EventBase):
    """A HIP-3 dex's deployer changes what it controls (perpDeploy actions in the HIP-3 deploy docs): adds a
    sub-deployer, halts or resumes a coin (haltTrading), sets a coin's open-interest cap or funding
    multiplier, or the dex-wide open-interest cap. Each field given is one change."""

    kind: Literal["deployer"]
    dex: str = Field(pattern=r"^[a-z0-9]{1,6}$")
    sub_deployer: Address | None = None
    function: str = Field(default="setOracle", pattern=r"^[A-Za-z]{1,40}$")  # the delegated action
    coin: str | None = None  # DEX:COIN, for halted, open_interest_cap_usd and funding_multiplier
    halted: bool | None = None
    open_interest_cap_usd: Annotated[float, Field(gt=0)] | None = None
    funding_multiplier: Annotated[float, Field(ge=0, le=10)] | None = None
    total_open_interest_cap_usd: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _some_change(self) -> Self:
        per_coin = (self.halted, self.open_interest_cap_usd, self.funding_multiplier)
        if self.sub_deployer is None and self.total_open_interest_cap_usd is None and per_coin == (None,) * 3:
            raise ValueError("give at least one change")
        if any(value is not None for value in per_coin) and self.coin is None:
            raise ValueError("halted, open_interest_cap_usd and funding_multiplier need `coin`")
        return self


class MarginTiersEvent(EventBase):
    """Hyperliquid moves a first-dex coin to a new margin table: `tiers` is [[lower bound USD, max
    leverage], ...], lower bounds rising from 0 and leverage falling (as the deploy docs require)."""

    kind: Literal["margin_tiers"]
    coin: str
    tiers: Annotated[list[Annotated[list[float], Field(min_length=2, max_length=2)]], Field(min_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        bounds = [tier[0] for tier in self.tiers]
        leverages = [tier[1] for tier in self.tiers]
        if bounds[0] != 0 or bounds != sorted(bounds) or leverages != sorted(leverages, reverse=True):
            raise ValueError("tiers must start at 0, with rising lower bounds and falling leverage")
        if min(leverages) < 1:
            raise ValueError("max leverage is at least 1")
        return self


class ValidatorVoteEvent(EventBase):
    """Validators open an L1 vote (validatorL1Votes): `action` D names one coin, C several (their meaning
    is undocumented: read as delist and settle votes). `voters` validators, largest stake first, have voted;
    it stays pending `expires_after` seconds, or until `until`."""

    kind: Literal["validator_vote"]
    action: Literal["D", "C"] = "D"
    coins: Annotated[list[str], Field(min_length=1)]
    voters: Annotated[int, Field(ge=0)] = 1
    expires_after: Annotated[float, Field(gt=0)] = 86_400.0
    until: Seconds | None = None

    @model_validator(mode="after")
    def _one_coin_for_d(self) -> Self:
        if self.action == "D" and len(self.coins) != 1:
            raise ValueError("a D vote names exactly one coin")
        return self


class ValidatorsJailedEvent(EventBase):
    """From `at`, the `count` largest validators are jailed (and inactive); 0 releases them."""

    kind: Literal["validators_jailed"]
    count: Annotated[int, Field(ge=0)]


class DelistEvent(EventBase):
    """Validators delist the coin and settle every position at `settle_price`."""

    kind: Literal["delist"]
    coin: str
    settle_price: PositivePrice


class OutageEvent(EventBase):
    """A reference exchange answers with an error status (e.g. Binance 451, Bybit 403) for a while."""

    kind: Literal["outage"]
    exchange: Exchange
    status: Annotated[int, Field(ge=400, le=599)] = 451
    duration: Annotated[float, Field(gt=0)] | None = None  # forever when absent


class StablecoinEvent(EventBase):
    """One exchange's USDC/USDT quote moves away from the cross rate (a local wobble, not a depeg):
    `to` is the exchange's rate divided by usdc_usd / usdt_usd."""

    kind: Literal["stablecoin"]
    exchange: Exchange
    to: Annotated[float, Field(gt=0)]
    over: Seconds = 0.0


class PegEvent(EventBase):
    """A stablecoin's USD price moves (a depeg): every exchange's quotes and Hyperliquid's oracle follow."""

    kind: Literal["peg"]
    stablecoin: Stablecoin
    to: Annotated[float, Field(gt=0)]
    over: Seconds = 0.0


class FaultEvent(EventBase):
    """A fault (as for --fault or POST /_replay/faults) active from `at` for `duration` seconds."""

    kind: Literal["fault"]
    fault: Fault
    duration: Annotated[float, Field(gt=0)] | None = None  # forever when absent


VenueFaultName = Literal["chain-freeze", "api-errors"]


class VenueEvent(EventBase):
    """A venue-wide fault (exporter.replay.venue) from `at` for `duration` seconds: `chain-freeze`
    (the chain's clock stops) or `api-errors` (most info requests fail or are slow, the chain lives)."""

    kind: Literal["venue"]
    fault: VenueFaultName
    duration: Annotated[float, Field(gt=0)] | None = None  # forever when absent
    # api-errors: share of info requests answered 502 or 503; of the rest, `slow_ratio` wait `slow_seconds`.
    error_ratio: Annotated[float, Field(ge=0, le=1)] = 0.8
    slow_ratio: Annotated[float, Field(ge=0, le=1)] = 0.5
    slow_seconds: Annotated[float, Field(ge=0, le=60)] = 4.0


Event = Annotated[
    RampEvent
    | PositionEvent
    | TransferEvent
    | BackstopEvent
    | FillsEvent
    | OpenInterestCapEvent
    | MarketRulesEvent
    | OracleWalkEvent
    | DelistEvent
    | DeployerEvent
    | MarginTiersEvent
    | ValidatorVoteEvent
    | ValidatorsJailedEvent
    | OutageEvent
    | StablecoinEvent
    | PegEvent
    | FaultEvent
    | VenueEvent,
    Field(discriminator="kind"),
]


class Scenario(StrictModel):
    name: str = Field(min_length=1)
    description: str = ""
    seed: int = 0
    duration: Annotated[float, Field(gt=0)] = 3600.0  # informational: state is frozen after the last event
    # Scenario second the incident starts (backtest reports measure alerts from it); absent: the first event.
    onset: Seconds | None = None
    # Most fills one userFillsByTime answer holds: 2000 on current mainnet, 500 in older versions.
    fills_page_size: Literal[500, 2000] = 2000
    market: MarketSpec = Field(default_factory=MarketSpec)
    hlp: HlpSpec = Field(default_factory=HlpSpec)
    governance: GovernanceSpec = Field(default_factory=GovernanceSpec)
    accounts: list[AccountSpec] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)


def scenario_onset(scenario: Scenario) -> float:
    """When the incident starts: the annotated `onset`, else the first event's time (0 without events)."""
    if scenario.onset is not None:
        return scenario.onset
    return min((event.at for event in scenario.events), default=0.0)


def scenario_names() -> list[str]:
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.yaml"))


def resolve_scenario_path(name_or_file: str) -> Path:
    candidate = Path(name_or_file)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        if not candidate.is_file():
            raise ScenarioError(f"scenario file {name_or_file} does not exist")
        return candidate
    shipped = SCENARIOS_DIR / f"{name_or_file}.yaml"
    if not shipped.is_file():
        raise ScenarioError(
            f"unknown scenario {name_or_file!r}: give a YAML file or one of {', '.join(scenario_names())}"
        )
    return shipped


def parse_scenario(data: object, source: str) -> Scenario:
    """Validate already-parsed YAML; errors list every bad key as a dotted path."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            problems.append(f"  {location or '(top level)'}: {error['msg']}")
        raise ScenarioError(f"{source}: invalid scenario\n" + "\n".join(problems)) from None


def load_scenario(name_or_file: str) -> Scenario:
    path = resolve_scenario_path(name_or_file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    return parse_scenario(data, str(path))
