"""Market bodies of `/info`: meta, metaAndAssetCtxs, allMids, perpsAtOpenInterestCap, predictedFundings,
spotMetaAndAssetCtxs, and the builder dexes' perpDexs, perpDexStatus and perpDexLimits. `dex` "" is the
first dex."""

from __future__ import annotations

from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.market import CoinQuote, Market
from exporter.replay.numbers import decimal_string, price_string, rate_string, size_string
from exporter.replay.paths import Path

Json = Any
_PREDICTED_VENUES = {"BinPerp": ("binance", 8), "BybitPerp": ("bybit", 8)}
SPOT_BIAS = 0.0001
# A USDC-denominated perp's spot pair trades this share of the perp's 24-hour notional volume.
SPOT_VOLUME_SHARE = 0.25


class MarketBodies:
    def __init__(self, market: Market, clock: ScenarioClock) -> None:
        self._market = market
        self._clock = clock

    def meta(self, now: float, dex: str = "") -> Json:
        universe = []
        tables: dict[int, list[Json]] = {}
        for track in self._market.on_dex(dex):
            spec = track.spec
            table = spec.margin_table_id if spec.margin_table_id is not None else spec.max_leverage
            tiers: list[Json] = [{"lowerBound": "0.0", "maxLeverage": table}]
            changed = track.tiers_at(now)
            if changed is not None:
                # A table of its own per change, numbered clear of the single-tier ids (1-100).
                number, rows = changed
                table = 1000 + 10 * track.index + number
                tiers = [
                    {"lowerBound": decimal_string(bound, 1), "maxLeverage": round(lev)} for bound, lev in rows
                ]
            entry: dict[str, Json] = {
                "szDecimals": spec.sz_decimals,
                "name": spec.name,
                "maxLeverage": tiers[0]["maxLeverage"] if changed else track.max_leverage_at(now),
                "marginTableId": table,
            }
            mode = track.margin_mode_at(now)
            if track.dex:
                entry["onlyIsolated"] = True  # HIP-3 perps are isolated-only
            if track.is_delisted(now) or track.is_halted(now):
                # A halted builder-dex perp is assumed to read like a delisted one (docs/builder-dexes.md).
                entry.update({"isDelisted": True, "onlyIsolated": True, "marginMode": "strictIsolated"})
            elif mode is not None:
                entry["marginMode"] = mode
                if mode in ("strictIsolated", "noCross"):
                    entry["onlyIsolated"] = True
            universe.append(entry)
            tables.setdefault(table, tiers)
        margin_tables = [
            [table, {"description": "" if len(tiers) == 1 else "tiered", "marginTiers": tiers}]
            for table, tiers in sorted(tables.items())
        ]
        dex_spec = self._market.dex(dex) if dex else None
        collateral = dex_spec.collateral_token if dex_spec is not None else 0
        return {"universe": universe, "marginTables": margin_tables, "collateralToken": collateral}

    def all_mids(self, now: float, dex: str = "") -> Json:
        mids = {}
        for quote in self._market.quotes(now, dex):
            if quote.delisted:
                continue
            # With an empty book the API gives the last trade price; the mark stands in for it.
            mid = quote.mid if quote.mid is not None else quote.mark
            mids[quote.track.name] = price_string(mid, quote.track.spec.sz_decimals)
            spot_pair = quote.track.spec.spot_pair
            if spot_pair is not None:
                mids[spot_pair] = price_string(self._spot_price(quote, now), 2)
        if not dex:
            # Every spot pair's mid comes with the first dex's (hyperliquid-api.md, allMids): USDH's too.
            mids[USDH_PAIR] = price_string(self._usdh_in_usdc(now), 2)
        return mids

    def _usdh_in_usdc(self, now: float) -> float:
        return self._market.usd_rate["USDH"].value_at(now) / self._market.usd_rate["USDC"].value_at(now)

    def _spot_price(self, quote: CoinQuote, now: float) -> float:
        # Hyperliquid spot is quoted in USDC, a hair off the exchanges (like any other venue).
        usd = self._market.reference_price(quote.track, now) * (1 + SPOT_BIAS)
        return self._market.in_currency(usd, "USDC", now)

    def l2_book(self, now: float, coin: str) -> Json:
        track = self._market.by_name.get(coin)
        if track is None:
            return None
        quote = self._market.quote(track, now)
        sz = track.spec.sz_decimals
        within_2pct = max(quote.day_volume_usd * BOOK_SHARE_OF_DAY_VOLUME, BOOK_MIN_NOTIONAL)
        per_level = within_2pct / (0.02 / BOOK_STEP)
        sides: list[list[Json]] = [[], []]
        if not (quote.delisted or track.spec.thin_book):
            for level in range(1, BOOK_LEVELS + 1):
                for side, sign in ((0, -1), (1, 1)):
                    px = quote.mark * (1 + sign * level * BOOK_STEP)
                    sides[side].append(
                        {"px": price_string(px, sz), "sz": size_string(per_level / px, sz), "n": 3}
                    )
        return {"coin": coin, "time": self._clock.wall_ms(now), "levels": sides}

    def spot_meta_and_asset_ctxs(self, now: float) -> Json:
        """The spot pairs of the USDC-denominated perps (`spot_pair`) and USDH, against USDC (token 0).
        The perps' spot tokens are numbered from 1 in listing order; USDH is token 360."""
        tokens: list[Json] = [_spot_token("USDC", 0)]
        universe: list[Json] = []
        ctxs: list[Json] = []
        for quote in self._market.quotes(now):
            pair = quote.track.spec.spot_pair
            if pair is None or quote.delisted:
                continue
            token = len(tokens)
            tokens.append(_spot_token(pair.split("/")[0] if "/" in pair else quote.track.name, token))
            index = int(pair[1:]) if pair.startswith("@") else len(universe)
            universe.append({"name": pair, "tokens": [token, 0], "index": index, "isCanonical": "/" in pair})
            price = self._spot_price(quote, now)
            volume = quote.day_volume_usd * SPOT_VOLUME_SHARE
            ctxs.append(
                {
                    "prevDayPx": price_string(price, 2),
                    "dayNtlVlm": decimal_string(volume, 2),
                    "markPx": price_string(price, 2),
                    "midPx": price_string(price, 2),
                    "circulatingSupply": "1000000000.0",
                    "coin": pair,
                    "totalSupply": "1000000000.0",
                    "dayBaseVlm": size_string(volume / price if price else 0.0, 2),
                }
            )
        # USDH/USDC: Native Markets' USDH against USDC, under its mainnet token index, so a builder dex
        # whose `collateral_token` is 360 is margined in USDH.
        tokens.append(_spot_token("USDH", USDH_TOKEN))
        universe.append(
            {"name": USDH_PAIR, "tokens": [USDH_TOKEN, 0], "index": int(USDH_PAIR[1:]), "isCanonical": False}
        )
        usdh = self._usdh_in_usdc(now)
        ctxs.append(
            {
                "prevDayPx": price_string(usdh, 2),
                "dayNtlVlm": "25000000.0",
                "markPx": price_string(usdh, 2),
                "midPx": price_string(usdh, 2),
                "circulatingSupply": "100000000.0",
                "coin": USDH_PAIR,
                "totalSupply": "100000000.0",
                "dayBaseVlm": "25000000.0",
            }
        )
        return [{"tokens": tokens, "universe": universe}, ctxs]

    def predicted_fundings(self, now: float) -> Json:
        next_hour = (int(self._clock.wall_ms(now)) // 3_600_000 + 1) * 3_600_000
        next_eight_hours = (int(self._clock.wall_ms(now)) // 28_800_000 + 1) * 28_800_000
        rows = []
        for quote in self._market.quotes(now):
            if quote.delisted:
                continue
            venues: list[Json] = []
            for venue, (exchange, hours) in _PREDICTED_VENUES.items():
                listed = exchange in quote.track.listed_on
                entry = {
                    "fundingRate": rate_string(quote.funding * hours),
                    "nextFundingTime": next_eight_hours,
                    "fundingIntervalHours": hours,
                }
                venues.append([venue, entry if listed else None])
            hl = {
                "fundingRate": rate_string(quote.funding),
                "nextFundingTime": next_hour,
                "fundingIntervalHours": 1,
            }
            venues.insert(1, ["HlPerp", hl])
            rows.append([quote.track.name, venues])
        return rows

    def meta_and_asset_ctxs(self, now: float, dex: str = "") -> Json:
        return [self.meta(now, dex), [_asset_ctx(quote) for quote in self._market.quotes(now, dex)]]

    def perps_at_open_interest_cap(self, now: float, dex: str = "") -> Json:
        return self._market.coins_at_cap(now, dex)

    def perp_dexs(self, now: float) -> Json:
        listed: list[Json] = [None]
        for dex in self._market.dexes:
            if not self._market.dex_listed(dex, now):
                continue
            tracks = self._market.on_dex(dex.name)
            caps = [
                [track.name, decimal_string(self._market.coin_cap_usd(track, now), 1)] for track in tracks
            ]
            multipliers = [
                [track.name, decimal_string(track.funding_multiplier.value_at(now), 4)] for track in tracks
            ]
            # Shape: nktkas/hyperliquid src/api/info/_methods/perpDexs.ts (every field below is in it).
            listed.append(
                {
                    "name": dex.name,
                    "fullName": dex.full_name or dex.name,
                    "deployer": dex.deployer,
                    "oracleUpdater": dex.oracle_updater,
                    "feeRecipient": None,
                    "assetToStreamingOiCap": caps,
                    "subDeployers": [list(pair) for pair in self._market.sub_deployers_at(dex.name, now)],
                    "deployerFeeScale": "1.0",
                    "lastDeployerFeeScaleChangeTime": "1970-01-01T00:00:00",
                    "assetToFundingMultiplier": multipliers,
                }
            )
        return listed

    def perp_dex_status(self, now: float, dex: str) -> Json:
        spec = self._market.dex(dex)
        if spec is None:
            return None
        path = Path.from_points([(point[0], point[1]) for point in spec.net_deposit])
        return {"totalNetDeposit": decimal_string(path.value_at(now), 6)}

    def perp_dex_limits(self, now: float, dex: str) -> Json:
        spec = self._market.dex(dex)
        if spec is None:
            return None
        tracks = self._market.on_dex(dex)
        caps = [[track.name, decimal_string(self._market.coin_cap_usd(track, now), 1)] for track in tracks]
        return {
            "totalOiCap": decimal_string(self._market.total_caps[dex].value_at(now), 1),
            "oiSzCapPerPerp": "1000000000.0",
            "maxTransferNtl": "100000000.0",
            "coinToOiCap": caps,
        }


# l2Book: 20 levels a side, 0.2 % apart, holding together 1 % of the coin's day volume within 2 % of the
# mark (so open interest far above a day's volume faces a book of a hundredth of it).
BOOK_LEVELS = 20
BOOK_STEP = 0.002
BOOK_SHARE_OF_DAY_VOLUME = 0.01
BOOK_MIN_NOTIONAL = 10_000.0

# USDH's spot token index and its USDC pair's key, as in the mainnet spotMetaAndAssetCtxs recorded on
# 9 Nov 2025 (tests/fixtures/hyperliquid-recorded/test_spot_asset_ctx.json).
USDH_TOKEN = 360
USDH_PAIR = "@230"


def _spot_token(name: str, index: int) -> Json:
    return {
        "name": name,
        "szDecimals": 2,
        "weiDecimals": 8,
        "index": index,
        "tokenId": f"0x{index:032x}",
        "isCanonical": index == 0,
        "evmContract": None,
        "fullName": None,
        "deployerTradingFeeShare": "0.0",
    }


def _asset_ctx(quote: CoinQuote) -> Json:
    sz = quote.track.spec.sz_decimals

    def px(value: float) -> str:
        return price_string(value, sz)

    mark = quote.mark
    return {
        "funding": rate_string(quote.funding),
        "openInterest": size_string(quote.open_interest, sz),
        "prevDayPx": px(quote.prev_day_price),
        "dayNtlVlm": decimal_string(quote.day_volume_usd, 2),
        "premium": None if quote.premium is None else rate_string(quote.premium),
        "oraclePx": px(quote.oracle),
        "markPx": px(mark),
        "midPx": None if quote.mid is None else px(quote.mid),
        "impactPxs": None if quote.impact is None else [px(quote.impact[0]), px(quote.impact[1])],
        "dayBaseVlm": size_string(quote.day_volume_usd / mark if mark else 0.0, sz),
    }
