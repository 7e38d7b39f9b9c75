"""The configuration model: one file, a section per part, every upstream URL configurable.

Every command validates the whole file with `load_config`, so a typo in the relay section is
caught by `hyperliquid-exporter --config.check` too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from exporter.config_loader import ConfigError, load_model
from exporter.hyperliquid.weights import IP_LIMIT_PER_MINUTE
from exporter.node.config import NodeConfig
from exporter.relay.config import RelayConfig
from exporter.streaming.config import StreamingConfig

__all__ = ["Config", "ConfigError", "load_config"]

HLP_VAULT = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
HLP_LIQUIDATORS = (
    "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14",
    "0xb0a55f13d22f66e6d495ac98113841b2326e9540",
    "0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70",
    "0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308",
)

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError("expected a 0x-prefixed 40-hex-digit address")
    return value.lower()


def _base_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("expected an http:// or https:// base URL")
    return value.rstrip("/")


Address = Annotated[str, AfterValidator(_address)]
BaseUrl = Annotated[str, AfterValidator(_base_url)]
Seconds = Annotated[float, Field(gt=0)]


class StrictModel(BaseModel):
    # Infinity and NaN are never a usable interval, timeout or threshold (.inf would keep stale data).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class HyperliquidConfig(StrictModel):
    api_url: BaseUrl = "https://api.hyperliquid.xyz"
    timeout_seconds: Seconds = 10.0
    # Hyperliquid allows 1200 weight per minute per IP for every process on it together.
    weight_limit_per_minute: Annotated[int, Field(gt=0)] = IP_LIMIT_PER_MINUTE
    weight_budget_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    retry_max_wait_seconds: Seconds = 30.0
    # A 429's Retry-After pauses every request, but never longer than this: one absurd value
    # (Retry-After: 100000) must not freeze the exporter while its data is withdrawn.
    retry_after_max_seconds: Seconds = 10.0

    @property
    def weight_budget_per_minute(self) -> float:
        return self.weight_limit_per_minute * self.weight_budget_share


class CollectorConfig(StrictModel):
    enabled: bool = True
    interval_seconds: Seconds
    # Published data older than this is withdrawn; default 3 poll intervals (the scheduler never withdraws
    # it sooner than one interval plus the poll's deadline).
    max_age_seconds: Seconds | None = None

    def max_age(self, interval: float | None = None) -> float:
        return self.max_age_seconds or 3 * (interval or self.interval_seconds)


class BookDepthConfig(StrictModel):
    """Order-book depth from `l2Book` (weight 2 per coin and poll) for the coins that matter."""

    enabled: bool = True
    interval_seconds: Seconds = 30.0
    # Always polled.
    coins: list[str] = Field(default_factory=list)
    # Plus up to this many coins with at least min_open_interest_usd, those with the most open interest
    # per dollar of Hyperliquid day volume first (the thinnest markets for their size).
    max_auto_coins: Annotated[int, Field(ge=0, le=50)] = 8
    min_open_interest_usd: Annotated[float, Field(ge=0)] = 2_000_000.0


class MarketCollectorConfig(CollectorConfig):
    interval_seconds: Seconds = 10.0
    open_interest_cap_interval_seconds: Seconds = 60.0
    book_depth: BookDepthConfig = Field(default_factory=BookDepthConfig)


class VaultRef(StrictModel):
    address: Address
    name: str | None = None


class VaultsCollectorConfig(CollectorConfig):
    interval_seconds: Seconds = 60.0
    vaults: list[VaultRef] = Field(default_factory=lambda: [VaultRef(address=HLP_VAULT, name=None)])


class WatchedAccount(StrictModel):
    address: Address
    name: str = Field(min_length=1, max_length=64)


def shard_of(address: str, count: int) -> int:
    """The shard (0 to count-1) that watches `address`: the same on every replica and every restart."""
    digest = hashlib.sha256(address.strip().lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def _watched_address(entry: object) -> str | None:
    if isinstance(entry, WatchedAccount):
        return entry.address
    if isinstance(entry, dict) and isinstance(entry.get("address"), str):
        return str(entry["address"])
    return None


class AccountsCollectorConfig(CollectorConfig):
    # HLP's non-liquidator children and the parent.
    interval_seconds: Seconds = 15.0
    liquidator_interval_seconds: Seconds = 5.0
    watched_interval_seconds: Seconds = 30.0
    child_discovery_interval_seconds: Seconds = 600.0
    hlp_vault: Address = HLP_VAULT
    liquidators: list[Address] = Field(default_factory=lambda: list(HLP_LIQUIDATORS))
    watched: list[WatchedAccount] = Field(default_factory=list)
    # Watched accounts shared out across replicas, each on its own egress IP: this one watches those whose
    # address falls in shard `shard_index` of `shard_count` (shard_of); HLP is polled by every replica.
    shard_index: Annotated[int, Field(ge=0)] = 0
    shard_count: Annotated[int, Field(ge=1, le=256)] = 1

    @model_validator(mode="before")
    @classmethod
    def _this_shards_watched(cls, data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("watched"), list):
            return data
        try:
            # Strings too: `${HL_SHARD_COUNT:-1}` expands to one.
            count, index = int(data.get("shard_count", 1)), int(data.get("shard_index", 0))
        except (TypeError, ValueError):
            return data  # invalid values fail their own field's validation
        if count <= 1:
            return data
        kept = []
        for entry in data["watched"]:
            address = _watched_address(entry)
            # An entry without an address is kept: its own validation names what is wrong.
            if address is None or shard_of(address, count) == index:
                kept.append(entry)
        return {**data, "watched": kept}

    @model_validator(mode="after")
    def _shard_in_range(self) -> Self:
        if self.shard_index >= self.shard_count:
            raise ValueError(f"shard_index {self.shard_index} is not below shard_count {self.shard_count}")
        return self

    @model_validator(mode="after")
    def _unique_watched(self) -> Self:
        addresses = [account.address for account in self.watched]
        duplicates = sorted({a for a in addresses if addresses.count(a) > 1})
        if duplicates:
            raise ValueError(f"watched accounts listed twice: {', '.join(duplicates)}")
        return self


class FillsCollectorConfig(CollectorConfig):
    # Fills of the liquidator vaults (userFillsByTime costs 20 + 1 per 20 fills).
    interval_seconds: Seconds = 30.0
    watched_enabled: bool = True
    watched_interval_seconds: Seconds = 600.0
    # The smallest page a userFillsByTime answer may be cut at (500 in older versions, 2000 on
    # current mainnet): a page at least this long may be incomplete, so the next page is asked for
    # at once. At most 500: a larger value would take a 500-fill page for a complete one.
    page_limit: Annotated[int, Field(gt=0, le=500)] = 500
    # Pages per account and poll; the rest is fetched on the next poll (only the 10,000 most
    # recent fills are reachable at all).
    max_pages_per_poll: Annotated[int, Field(gt=0)] = 5
    # Without the market collector, `meta` (weight 20) is read this often for the listed coins, whose
    # event counters exist at 0 from startup; with it, the market poller's universe is shared.
    universe_interval_seconds: Seconds = 300.0


_DEX_NAME = re.compile(r"^[A-Za-z0-9]{1,12}$")


def _dex_names(names: list[str]) -> list[str]:
    bad = [name for name in names if not _DEX_NAME.match(name)]
    if bad:
        raise ValueError(f"not a dex name (1-12 letters or digits): {', '.join(map(repr, bad))}")
    return names


DexNames = Annotated[list[str], AfterValidator(_dex_names)]


class DexesCollectorConfig(CollectorConfig):
    """Builder-deployed perp dexes (HIP-3), discovered with perpDexs, polled within `weight_per_minute`."""

    # The fastest any dex's metaAndAssetCtxs is polled; the poller ticks this often.
    interval_seconds: Seconds = 15.0
    discovery_interval_seconds: Seconds = 300.0
    # perpDexStatus (total net deposit) and perpsAtOpenInterestCap of each dex.
    status_interval_seconds: Seconds = 120.0
    # perpDexLimits of each dex (total open-interest cap).
    limits_interval_seconds: Seconds = 3600.0
    # clearinghouseState of each watched account on each dex.
    watched_interval_seconds: Seconds = 300.0
    # Most weight per minute the dexes may use; never more than what the other collectors leave of the
    # budget. With more dexes than it pays for, every interval above stretches by the same factor.
    weight_per_minute: Annotated[float, Field(gt=0)] = 150.0
    # Empty allow: every discovered dex. Deny wins over allow.
    allow: DexNames = Field(default_factory=list)
    deny: DexNames = Field(default_factory=list)

    def covers(self, dex: str) -> bool:
        return dex not in self.deny and (not self.allow or dex in self.allow)


class LivenessCollectorConfig(CollectorConfig):
    """Is the chain's clock running? exchangeStatus (weight 2) and HyperEVM's latest block."""

    # HyperEVM's latest block (no info-API weight).
    interval_seconds: Seconds = 5.0
    # exchangeStatus (weight 2: 8 weight/min at 15 s).
    exchange_status_interval_seconds: Seconds = 15.0
    # HyperEVM JSON-RPC (eth_getBlockByNumber "latest"; no request weight on the info API). A node run
    # with --serve-eth-rpc serves it on http://localhost:3001/evm; null switches this probe off.
    evm_rpc_url: BaseUrl | None = "https://rpc.hyperliquid.xyz/evm"


# The Assistance Fund's system address (Hyperliquid docs, trading fees; public HYPE trackers read its
# balance with spotClearinghouseState).
ASSISTANCE_FUND = "0xfefefefefefefefefefefefefefefefefefefefe"


class GovernanceCollectorConfig(CollectorConfig):
    """Validator votes and set, the Assistance Fund's HYPE: slow-moving, so polled slowly."""

    interval_seconds: Seconds = 300.0
    assistance_fund: Address = ASSISTANCE_FUND
    # Read the HYPE staking and unstaking queue (delegatorSummary, weight 20) of the configured vaults and
    # the watched accounts, one account per poll in turn: the public API has no venue-wide queue.
    staking_summaries: bool = True


class CollectorsConfig(StrictModel):
    market: MarketCollectorConfig = Field(default_factory=MarketCollectorConfig)
    governance: GovernanceCollectorConfig = Field(default_factory=GovernanceCollectorConfig)
    dexes: DexesCollectorConfig = Field(default_factory=DexesCollectorConfig)
    vaults: VaultsCollectorConfig = Field(default_factory=VaultsCollectorConfig)
    accounts: AccountsCollectorConfig = Field(default_factory=AccountsCollectorConfig)
    fills: FillsCollectorConfig = Field(default_factory=FillsCollectorConfig)
    liveness: LivenessCollectorConfig = Field(default_factory=LivenessCollectorConfig)


class PriceSourceConfig(StrictModel):
    enabled: bool = True
    base_url: BaseUrl
    interval_seconds: Seconds = 10.0
    timeout_seconds: Seconds = 5.0


class SymbolMapping(StrictModel):
    # The exchange's base asset for this Hyperliquid coin and how many exchange units one
    # Hyperliquid unit is (kPEPE is 1000 PEPE).
    base: str = Field(min_length=1)
    scale: Annotated[float, Field(gt=0)] = 1.0


def _default_symbols() -> dict[str, SymbolMapping]:
    thousand = ("kPEPE", "kSHIB", "kBONK", "kFLOKI", "kLUNC", "kDOGS", "kNEIRO")
    return {coin: SymbolMapping(base=coin[1:], scale=1000.0) for coin in thousand}


class HyperliquidSpotConfig(StrictModel):
    """Hyperliquid spot mids (`allMids`, weight 2 per poll) as a reference for USDC-denominated perps,
    and the pairs' 24-hour volume (`spotMetaAndAssetCtxs`, weight 20 per poll)."""

    enabled: bool = True
    interval_seconds: Seconds = 10.0
    volume_interval_seconds: Seconds = 300.0
    # Perp coin -> its spot pair's key in allMids (HYPE/USDC is `@107` on mainnet).
    pairs: dict[str, str] = Field(default_factory=lambda: {"HYPE": "@107", "PURR": "PURR/USDC"})
    # Stablecoins watched against USDC on Hyperliquid spot (their `<TOKEN>/USDC` pair, found by token
    # name in the same spotMetaAndAssetCtxs poll): USDH, and any builder dex's collateral token.
    stablecoins: list[str] = Field(default_factory=lambda: ["USDH"])


class OracleReplicaConfig(StrictModel):
    """The oracle's weighted median, replicated from the reference sources (prices/oracle_replica.py)."""

    enabled: bool = True
    interval_seconds: Seconds = 10.0
    # Hyperliquid-native coins: the oracle leaves external sources out until their liquidity is
    # sufficient, so the replica prices them from Hyperliquid spot only.
    native_coins: list[str] = Field(default_factory=lambda: ["PURR"])
    # BTC-like coins: the oracle leaves Hyperliquid spot out.
    without_spot_coins: list[str] = Field(default_factory=lambda: ["BTC", "ETH", "SOL"])


class PerpPricesConfig(StrictModel):
    """Perp mids of the venues in the mark's third component (Binance, OKX, Bybit, Gate, MEXC), one bulk
    ticker request per venue and poll, no keys. Published as hyperliquid_external_perp_price."""

    binance: PriceSourceConfig = PriceSourceConfig(base_url="https://fapi.binance.com")
    okx: PriceSourceConfig = PriceSourceConfig(base_url="https://www.okx.com")
    bybit: PriceSourceConfig = PriceSourceConfig(base_url="https://api.bybit.com")
    gate: PriceSourceConfig = PriceSourceConfig(base_url="https://api.gateio.ws")
    mexc: PriceSourceConfig = PriceSourceConfig(base_url="https://contract.mexc.com")


class MarkReplicaConfig(StrictModel):
    """The mark's formula, replicated from the oracle, the book mid and the perp venues
    (prices/mark_replica.py). Costs no request."""

    enabled: bool = True
    # How often the oracle, mid and mark are sampled into the EMAs and the replica published; the EMAs
    # are only as fine as the market data (every collectors.market.interval_seconds over REST).
    interval_seconds: Seconds = 10.0
    # The venue's EMA time constants (of mid - oracle, and of the book component). Change them only to
    # replay a simulator scenario in compressed time.
    ema_seconds: Seconds = 150.0
    book_ema_seconds: Seconds = 30.0


class ReferencePricesConfig(StrictModel):
    enabled: bool = True
    binance: PriceSourceConfig = PriceSourceConfig(base_url="https://api.binance.com")
    okx: PriceSourceConfig = PriceSourceConfig(base_url="https://www.okx.com")
    bybit: PriceSourceConfig = PriceSourceConfig(base_url="https://api.bybit.com")
    kraken: PriceSourceConfig = PriceSourceConfig(base_url="https://api.kraken.com")
    kucoin: PriceSourceConfig = PriceSourceConfig(base_url="https://api.kucoin.com")
    gate: PriceSourceConfig = PriceSourceConfig(base_url="https://api.gateio.ws")
    mexc: PriceSourceConfig = PriceSourceConfig(base_url="https://api.mexc.com")
    coinbase: PriceSourceConfig = PriceSourceConfig(
        base_url="https://api.coinbase.com", interval_seconds=60.0
    )
    # Coinbase needs one request per coin: only these are asked for.
    coinbase_coins: list[str] = Field(default_factory=lambda: ["BTC", "ETH", "SOL"])
    # Coinbase requests in flight at once.
    coinbase_max_concurrency: Annotated[int, Field(gt=0, le=32)] = 4
    # Hyperliquid coins never priced from exchanges (an exchange ticker naming a different asset).
    exclude_coins: list[str] = Field(default_factory=list)
    # Hyperliquid coins whose exchange symbol differs from the coin name, or which are scaled.
    symbols: dict[str, SymbolMapping] = Field(default_factory=_default_symbols)
    hyperliquid_spot: HyperliquidSpotConfig = Field(default_factory=HyperliquidSpotConfig)
    oracle_replica: OracleReplicaConfig = Field(default_factory=OracleReplicaConfig)
    perps: PerpPricesConfig = Field(default_factory=PerpPricesConfig)
    mark_replica: MarkReplicaConfig = Field(default_factory=MarkReplicaConfig)
    # Perps whose oracle is in USDC; every other perp's oracle is in USDT (Hyperliquid's contract specs).
    usdc_denominated_coins: list[str] = Field(default_factory=lambda: ["PURR", "HYPE"])
    # Pre-launch perps (oracle = 8-hour EMA of their own mark). The API has no flag for them: keep
    # this list current from Hyperliquid's announcements. A coin not listed here is a normal perp.
    hyperps: list[str] = Field(default_factory=lambda: ["MEGA"])


class Config(StrictModel):
    hyperliquid: HyperliquidConfig = Field(default_factory=HyperliquidConfig)
    collectors: CollectorsConfig = Field(default_factory=CollectorsConfig)
    node: NodeConfig = Field(default_factory=NodeConfig)
    reference_prices: ReferencePricesConfig = Field(default_factory=ReferencePricesConfig)
    streaming: StreamingConfig = Field(default_factory=StreamingConfig)
    # Only the relay needs this section; when present every command validates it.
    relay: RelayConfig | None = None


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> Config:
    """Load and validate the whole file; raises ConfigError naming key path, line and expectation."""
    return load_model(Path(path), Config, environ)
