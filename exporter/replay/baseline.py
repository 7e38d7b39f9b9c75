"""The built-in mainnet-like market and HLP layout that scenarios start from.

Prices are plausible late-2025 levels; each incident scenario overrides the coins it is about.
"""

from __future__ import annotations

import math
import random
import string
from typing import Any

from exporter.replay.scenario import (
    EXCHANGES,
    CoinSpec,
    DexSpec,
    Exchange,
    LongTailSpec,
    PositionSpec,
    VaultChildSpec,
)

_ALL: list[Exchange] = list(EXCHANGES)
_NO_COINBASE: list[Exchange] = [exchange for exchange in EXCHANGES if exchange != "coinbase"]

# name, price, szDecimals, maxLeverage, open interest (USD), day volume (USD), reference exchanges
_MAJORS: list[tuple[str, float, int, int, float, float, list[Exchange]]] = [
    ("BTC", 95_000.0, 5, 40, 2.5e9, 3.0e9, _ALL),
    ("ETH", 3_300.0, 4, 25, 1.5e9, 2.0e9, _ALL),
    ("SOL", 150.0, 2, 20, 5.0e8, 6.0e8, _ALL),
    ("HYPE", 35.0, 2, 10, 8.0e8, 4.0e8, ["okx", "bybit"]),
    ("XRP", 2.2, 0, 20, 3.0e8, 2.0e8, _ALL),
    ("DOGE", 0.16, 0, 10, 1.5e8, 1.0e8, _ALL),
    ("BNB", 900.0, 3, 10, 5.0e7, 3.0e7, _NO_COINBASE),
    ("AVAX", 15.0, 2, 10, 5.0e7, 4.0e7, _ALL),
    ("LINK", 14.0, 1, 10, 6.0e7, 4.0e7, _ALL),
    ("SUI", 1.8, 1, 10, 8.0e7, 6.0e7, _ALL),
    ("ADA", 0.45, 0, 10, 5.0e7, 3.0e7, _ALL),
    ("LTC", 90.0, 2, 10, 3.0e7, 2.0e7, _ALL),
    ("BCH", 500.0, 3, 10, 2.0e7, 1.0e7, _ALL),
    ("DOT", 2.8, 1, 10, 2.0e7, 1.0e7, _ALL),
    ("TRX", 0.28, 0, 10, 2.0e7, 1.0e7, _NO_COINBASE),
    ("TON", 1.8, 1, 10, 2.0e7, 1.0e7, _NO_COINBASE),
    ("NEAR", 2.0, 1, 10, 2.0e7, 1.0e7, _ALL),
    ("APT", 3.0, 2, 10, 2.0e7, 1.0e7, _ALL),
    ("ARB", 0.25, 1, 10, 2.0e7, 1.0e7, _ALL),
    ("OP", 0.4, 1, 10, 1.5e7, 1.0e7, _ALL),
    ("AAVE", 180.0, 2, 10, 4.0e7, 3.0e7, _ALL),
    ("UNI", 6.0, 1, 10, 2.0e7, 1.0e7, _ALL),
    ("ENA", 0.3, 0, 10, 8.0e7, 6.0e7, _NO_COINBASE),
    ("WLD", 0.7, 1, 10, 3.0e7, 2.0e7, _NO_COINBASE),
    ("TIA", 0.8, 1, 10, 1.0e7, 1.0e7, _ALL),
    ("INJ", 6.5, 1, 10, 1.0e7, 8.0e6, _ALL),
    ("SEI", 0.15, 0, 10, 1.0e7, 8.0e6, _ALL),
    ("PENDLE", 2.5, 0, 10, 1.0e7, 8.0e6, _NO_COINBASE),
    ("FARTCOIN", 0.35, 1, 10, 5.0e7, 5.0e7, ["okx", "bybit"]),
    ("PUMP", 0.003, 0, 10, 5.0e7, 5.0e7, ["okx", "bybit"]),
    ("TRUMP", 6.0, 1, 10, 2.0e7, 2.0e7, _NO_COINBASE),
    ("WIF", 0.45, 0, 10, 2.0e7, 2.0e7, _ALL),
    ("kPEPE", 0.006, 0, 10, 5.0e7, 4.0e7, _ALL),
    ("kBONK", 0.012, 0, 10, 1.5e7, 1.0e7, _ALL),
    ("kSHIB", 0.009, 0, 10, 1.0e7, 5.0e6, _ALL),
    ("XPL", 0.25, 0, 10, 3.0e7, 3.0e7, ["binance", "okx", "bybit"]),
    ("ASTER", 1.1, 0, 5, 3.0e7, 3.0e7, ["binance", "bybit"]),
    ("CRV", 0.45, 1, 10, 1.0e7, 1.0e7, _ALL),
    ("LDO", 0.7, 1, 10, 8.0e6, 6.0e6, _ALL),
    ("ZEC", 400.0, 2, 10, 8.0e7, 8.0e7, _ALL),
]
# USDC-denominated perps (their oracle is in USDC) -> their Hyperliquid spot pair's allMids key.
_USDC_DENOMINATED = {"HYPE": "@107"}
# Pre-launch perps: oracle is an EMA of their own mark, no reference exchange quotes them.
_HYPERPS: list[tuple[str, float, int, int, float, float]] = [
    ("MEGA", 0.5, 0, 3, 1.5e7, 1.0e7),
]
# Delisted coins stay in the universe (indices are stable) with isDelisted.
_DELISTED: list[tuple[str, float, int]] = [
    ("LOOM", 0.05, 0),
    ("CANTO", 0.02, 0),
    ("RLB", 0.05, 0),
    ("UNIBOT", 8.0, 2),
]


def _listed(
    name: str, price: float, sz_decimals: int, leverage: int, oi_usd: float, volume: float, **extra: Any
) -> CoinSpec:
    return CoinSpec(
        name=name,
        price=price,
        sz_decimals=sz_decimals,
        max_leverage=leverage,
        open_interest=round(oi_usd / price, sz_decimals),
        day_volume_usd=volume,
        **extra,
    )


def major_coins() -> list[CoinSpec]:
    coins = []
    for name, price, sz_decimals, leverage, oi_usd, volume, listed_on in _MAJORS:
        thousand = name.startswith("k") and name[1:].isupper()
        coins.append(
            _listed(
                name,
                price,
                sz_decimals,
                leverage,
                oi_usd,
                volume,
                listed_on=listed_on,
                exchange_symbol=name[1:] if thousand else None,
                exchange_units=1000.0 if thousand else 1.0,
                quote="USDC" if name in _USDC_DENOMINATED else "USDT",
                spot_pair=_USDC_DENOMINATED.get(name),
            )
        )
    for name, price, sz_decimals, leverage, oi_usd, volume in _HYPERPS:
        coins.append(_listed(name, price, sz_decimals, leverage, oi_usd, volume, hyperp=True, listed_on=[]))
    for name, price, sz_decimals in _DELISTED:
        coins.append(
            CoinSpec(
                name=name, price=price, sz_decimals=sz_decimals, max_leverage=3, delisted=True, listed_on=[]
            )
        )
    return coins


def long_tail_coins(spec: LongTailSpec, taken: set[str]) -> list[CoinSpec]:
    rng = random.Random(spec.seed)
    coins: list[CoinSpec] = []
    while len(coins) < spec.count:
        name = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 6)))
        if name in taken:
            continue
        taken.add(name)
        # Not below 0.001: Hyperliquid lists such assets as 1000-unit k-coins, and a perp priced lower
        # with 6 decimals would have a tick of a percent or more (its oracle could not follow the
        # exchanges closer than that).
        price = float(f"{math.exp(rng.uniform(math.log(LONG_TAIL_MIN_PRICE), math.log(50.0))):.5g}")
        sz_decimals = 2 if price >= 10 else 1 if price >= 1 else 0
        listed_on = [exchange for exchange, share in _LISTING_SHARE.items() if rng.random() < share]
        # Drawn from their own generator, so the long tail's other figures stay as they were.
        listed_on += [
            exchange
            for exchange, share in _LONG_TAIL_VENUES.items()
            if random.Random(f"{spec.seed}:{name}:{exchange}").random() < share
        ]
        coin = CoinSpec(
            name=name,
            price=price,
            sz_decimals=sz_decimals,
            max_leverage=rng.choice([3, 5, 10]),
            open_interest=round(math.exp(rng.uniform(math.log(2e5), math.log(2e7))) / price, sz_decimals),
            day_volume_usd=round(math.exp(rng.uniform(math.log(1e5), math.log(3e7))), 2),
            funding=round(rng.uniform(-0.00005, 0.0001), 8),
            thin_book=rng.random() < spec.thin_book_share,
            listed_on=listed_on,
        )
        coins.append(_quoted_where_it_matters(coin))
    return coins


def _quoted_where_it_matters(coin: CoinSpec) -> CoinSpec:
    """A perp with $1M+ of open interest trades on at least two of the bulk exchanges: on the venue,
    such a market is rarely unquoted, and one that were would (rightly) be reported unchecked."""
    assert coin.price is not None
    assert coin.listed_on is not None
    bulk = [exchange for exchange in coin.listed_on if exchange in ("binance", "okx", "bybit")]
    if coin.open_interest * coin.price < UNCHECKED_OPEN_INTEREST_USD or len(bulk) >= 2:
        return coin
    added: list[Exchange] = [exchange for exchange in ("okx", "bybit") if exchange not in coin.listed_on]
    return coin.model_copy(update={"listed_on": [*coin.listed_on, *added]})


_LISTING_SHARE: dict[Exchange, float] = {"binance": 0.5, "okx": 0.5, "bybit": 0.6, "coinbase": 0.2}
# The oracle's smaller sources list more of the long tail than the large ones.
_LONG_TAIL_VENUES: dict[Exchange, float] = {"kraken": 0.3, "kucoin": 0.7, "gate": 0.8, "mexc": 0.8}
LONG_TAIL_MIN_PRICE = 0.001
# HyperliquidOracleUnchecked's open-interest threshold (rules/hyperliquid-oracle.rules.yml).
UNCHECKED_OPEN_INTEREST_USD = 1_000_000.0


def _child(
    address: str, name: str, deposits: float, liquidator: bool, positions: list[PositionSpec]
) -> VaultChildSpec:
    return VaultChildSpec(
        address=address, name=name, deposits=deposits, liquidator=liquidator, positions=positions
    )


def default_hlp_children() -> list[VaultChildSpec]:
    """The seven mainnet HLP children with a small market-making inventory entered at t=0 marks."""
    return [
        _child(
            "0x010461c14e146ac35fe42271bdc1134ee31c703a",
            "HLP Strategy A",
            120_000_000.0,
            False,
            [PositionSpec(coin="BTC", size=45.0), PositionSpec(coin="SOL", size=-12_000.0)],
        ),
        _child(
            "0x31ca8395cf837de08b24da3f660e77761dfb974b",
            "HLP Strategy B",
            160_000_000.0,
            False,
            [PositionSpec(coin="ETH", size=-900.0), PositionSpec(coin="HYPE", size=60_000.0)],
        ),
        _child(
            "0x469f690213c467c39a23efacfd2816896009d7d8",
            "HLP Strategy X",
            100_000_000.0,
            False,
            [PositionSpec(coin="XRP", size=400_000.0)],
        ),
        _child("0x2e3d94f0562703b25c83308a05046ddaf9a8dd14", "HLP Liquidator", 15_000_000.0, True, []),
        _child("0xb0a55f13d22f66e6d495ac98113841b2326e9540", "HLP Liquidator 2", 10_000_000.0, True, []),
        _child("0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70", "HLP Liquidator 3", 10_000_000.0, True, []),
        _child("0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308", "HLP Liquidator 4", 10_000_000.0, True, []),
    ]


# Two calm builder dexes (HIP-3) present in every scenario that does not list its own: equities and
# commodities priced by their deployers' oracles, no reference exchange.
_BUILDER_DEXES: list[tuple[str, str, str, list[tuple[str, float, int, float, float]]]] = [
    (
        "xyz",
        "XYZ equities",
        "0x88806a71d74ad0a510b350545c9ae490912f0888",
        [
            ("XYZ100", 25_000.0, 4, 8.0e7, 1.5e8),
            ("TSLA", 430.0, 3, 3.0e7, 6.0e7),
            ("NVDA", 180.0, 3, 2.5e7, 5.0e7),
            ("GOLD", 4_000.0, 4, 2.0e7, 3.0e7),
        ],
    ),
    (
        "flx",
        "Felix exchange",
        "0x2fab552502a6d45920d5741a2f3ebf4c35536352",
        [
            ("SILVER", 50.0, 2, 5.0e6, 8.0e6),
            ("OIL", 60.0, 2, 4.0e6, 6.0e6),
        ],
    ),
]


def default_builder_dexes() -> list[DexSpec]:
    dexes = []
    for name, full_name, deployer, coins in _BUILDER_DEXES:
        specs = [
            CoinSpec(
                name=coin,
                price=price,
                sz_decimals=sz_decimals,
                max_leverage=10,
                open_interest=round(oi_usd / price, sz_decimals),
                day_volume_usd=volume,
                funding=0.00000625,
                listed_on=[],
            )
            for coin, price, sz_decimals, oi_usd, volume in coins
        ]
        dexes.append(DexSpec(name=name, full_name=full_name, deployer=deployer, coins=specs))
    return dexes
