"""A small, plausible exposition of every metric the dashboards read, with the labels DESIGN.md fixes.

Served by two loopback "exporter replicas" at once, it lets a real Prometheus evaluate the project's rules
and every panel query on the label shapes production has, including duplicate series from HA replicas.
"""

from __future__ import annotations

import time

HLP_VAULT = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
HLP_CHILD = "0x010461c14e146ac35fe42271bdc1134ee31c703a"
LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
WATCHED = "0xf3f496c9486be5924a93d67e98298733bb47057c"
COINS = {"BTC": 97_000.0, "ETH": 3_400.0, "kPEPE": 0.012}
SOURCES = ("binance", "okx", "bybit")
COLLECTORS = ("market", "prices", "vaults", "accounts", "fills")
CHANNELS = ("telegram", "discord")


def _line(name: str, labels: dict[str, str], value: float) -> str:
    rendered = ",".join(f'{key}="{val}"' for key, val in labels.items())
    return f"{name}{{{rendered}}} {value}" if labels else f"{name} {value}"


def exporter_exposition(now: float | None = None) -> str:
    now = time.time() if now is None else now
    lines: list[str] = [
        _line("hyperliquid_up", {}, 1),
        _line("hyperliquid_exporter_api_weight_budget_per_minute", {}, 600),
    ]
    lines.append(_line("hyperliquid_exporter_build_info", {"version": "0.1.0", "revision": "test"}, 1))
    for coin, price in COINS.items():
        c = {"coin": coin}
        lines += [
            _line("hyperliquid_market_info", {**c, "delisted": "false", "margin_mode": "cross"}, 1),
            _line("hyperliquid_oracle_price", c, price),
            _line("hyperliquid_mark_price", c, price * 1.001),
            _line("hyperliquid_mid_price", c, price * 1.0005),
            _line("hyperliquid_funding_rate", c, 0.0000125),
            _line("hyperliquid_premium_ratio", c, 0.0003),
            _line("hyperliquid_open_interest_size", c, 1_000_000 / price),
            _line("hyperliquid_open_interest_usd", c, 1_000_000),
            _line("hyperliquid_impact_price", {**c, "side": "bid"}, price * 0.999),
            _line("hyperliquid_impact_price", {**c, "side": "ask"}, price * 1.001),
            _line("hyperliquid_day_notional_volume_usd", c, 5_000_000),
            _line("hyperliquid_max_leverage", c, 20),
            _line("hyperliquid_open_interest_cap_reached", c, 0),
            _line("hyperliquid_auto_deleverages_total", c, 1),
            _line("hyperliquid_auto_deleveraged_notional_usd_total", c, 25_000),
        ]
        for source in SOURCES:
            lines.append(_line("hyperliquid_external_price", {**c, "source": source}, price * 0.9995))
            lines.append(_line("hyperliquid_oracle_replica_source_weight", {**c, "source": source}, 1))
        lines.append(_line("hyperliquid_oracle_replica_price", {**c, "quote": "USDT"}, price * 0.9995))
        for method in ("market", "backstop"):
            lines.append(_line("hyperliquid_liquidations_total", {**c, "method": method}, 3))
            lines.append(_line("hyperliquid_liquidated_notional_usd_total", {**c, "method": method}, 90_000))
    for source in SOURCES:
        lines.append(_line("hyperliquid_external_source_up", {"source": source}, 1))
        lines.append(
            _line("hyperliquid_external_source_last_success_timestamp_seconds", {"source": source}, now - 2)
        )
    vault = {"vault": HLP_VAULT}
    lines += [
        _line("hyperliquid_vault_info", {**vault, "name": "Hyperliquidity Provider (HLP)"}, 1),
        _line("hyperliquid_vault_account_value_usd", vault, 380_000_000),
        _line("hyperliquid_vault_apr_ratio", vault, 0.18),
    ]
    for window, pnl in (("day", 120_000), ("week", -40_000), ("month", 900_000), ("allTime", 80_000_000)):
        lines.append(_line("hyperliquid_vault_pnl_usd", {**vault, "window": window}, pnl))
    accounts = (
        (HLP_CHILD, "HLP Strategy A", "hlp", HLP_VAULT, 1.0),
        (LIQUIDATOR, "HLP Liquidator", "hlp_liquidator", HLP_VAULT, -0.2),
        (WATCHED, "eth-whale", "watched", "", 0.5),
    )
    for account, name, role, parent, size_factor in accounts:
        a = {"account": account}
        lines.append(_line("hyperliquid_account_info", {**a, "name": name, "role": role, "vault": parent}, 1))
        lines.append(_line("hyperliquid_account_value_usd", a, 10_000_000))
        lines.append(_line("hyperliquid_account_cross_value_usd", a, 10_000_000))
        lines.append(_line("hyperliquid_account_cross_maintenance_margin_used_usd", a, 2_500_000))
        for coin, price in COINS.items():
            size = size_factor * 100_000 / price
            ac = {**a, "coin": coin}
            lines += [
                _line("hyperliquid_account_position_size", ac, size),
                _line("hyperliquid_account_position_notional_usd", ac, abs(size) * price),
                _line("hyperliquid_account_position_unrealized_pnl_usd", ac, -1_500 * size_factor),
                _line(
                    "hyperliquid_account_position_liquidation_price",
                    ac,
                    price * (0.8 if size > 0 else 1.2),
                ),
            ]
    for collector in COLLECTORS:
        k = {"collector": collector}
        lines += [
            _line("hyperliquid_exporter_collector_success", k, 1),
            _line("hyperliquid_exporter_collector_last_success_timestamp_seconds", k, now - 1),
            _line("hyperliquid_exporter_collector_duration_seconds", k, 0.12),
            _line("hyperliquid_exporter_api_weight_used_total", k, 400),
            _line("hyperliquid_exporter_api_weight_planned_per_minute", k, 80),
        ]
    lines += _builder_dex_lines(now)
    lines += _governance_lines(now)
    lines.append(_line("hyperliquid_exporter_api_requests_total", {"request": "metaAndAssetCtxs"}, 50))
    lines.append(
        _line(
            "hyperliquid_exporter_api_request_errors_total",
            {"request": "metaAndAssetCtxs", "reason": "timeout"},
            1,
        )
    )
    return "\n".join(lines) + "\n"


def _builder_dex_lines(now: float) -> list[str]:
    """Two builder dexes (HIP-3): series carry `dex`, coins are named `dex:COIN`."""
    lines: list[str] = []
    for dex, coins in (("xyz", {"xyz:TSLA": 430.0, "xyz:GOLD": 4_000.0}), ("flx", {"flx:OIL": 60.0})):
        d = {"dex": dex}
        lines += [
            _line(
                "hyperliquid_dex_info", {**d, "full_name": dex, "deployer": WATCHED, "oracle_updater": ""}, 1
            ),
            _line("hyperliquid_dex_up", d, 1),
            _line("hyperliquid_dex_last_success_timestamp_seconds", d, now - 5),
            _line("hyperliquid_dex_poll_interval_seconds", {**d, "request": "metaAndAssetCtxs"}, 21),
            _line("hyperliquid_dex_total_net_deposit_usd", d, 100_000_000),
            _line("hyperliquid_dex_total_open_interest_cap_usd", d, 500_000_000),
            _line("hyperliquid_account_dex_value_usd", {"account": WATCHED, **d}, 250_000),
        ]
        for coin, price in coins.items():
            c = {"coin": coin, "dex": dex}
            lines += [
                _line("hyperliquid_market_info", {**c, "delisted": "false", "margin_mode": "isolated"}, 1),
                _line("hyperliquid_oracle_price", c, price),
                _line("hyperliquid_mark_price", c, price * 1.0005),
                _line("hyperliquid_mid_price", c, price * 1.0004),
                _line("hyperliquid_open_interest_size", c, 20_000_000 / price),
                _line("hyperliquid_open_interest_usd", c, 20_000_000),
                _line("hyperliquid_open_interest_cap_usd", c, 250_000_000),
                _line("hyperliquid_open_interest_cap_reached", c, 0),
                _line("hyperliquid_day_notional_volume_usd", c, 30_000_000),
            ]
        coin = next(iter(coins))
        ac = {"account": WATCHED, "coin": coin}
        lines += [
            _line("hyperliquid_account_position_size", ac, -100),
            _line("hyperliquid_account_position_notional_usd", ac, 100 * coins[coin]),
        ]
    return lines


def _governance_lines(now: float) -> list[str]:
    """Validators, a vote, the Assistance Fund and a staker (collector governance), and HYPE's mark."""
    vote = {"action": "D", "coin": "kPEPE"}
    return [
        _line("hyperliquid_mark_price", {"coin": "HYPE", "quote": "USDC"}, 35),
        _line("hyperliquid_assistance_fund_hype", {}, 40_000_000),
        _line("hyperliquid_staked_hype", {}, 430_000_000),
        _line("hyperliquid_validator_active_stake_ratio", {}, 0.97),
        _line("hyperliquid_validator_largest_stake_ratio", {}, 0.12),
        *(
            _line("hyperliquid_validators", {"state": s}, n)
            for s, n in (("active", 23), ("jailed", 1), ("inactive", 0))
        ),
        _line("hyperliquid_governance_votes_pending", vote, 1),
        _line("hyperliquid_governance_vote_stake_ratio", vote, 0.3),
        _line("hyperliquid_governance_vote_expiry_timestamp_seconds", vote, now + 86_400),
        # A watched account that stakes, with HYPE in the unstaking queue (delegatorSummary).
        *(
            _line(name, {"account": "0x" + "5e" * 20}, value)
            for name, value in (
                ("hyperliquid_account_staked_hype", 1_000_000),
                ("hyperliquid_account_staking_undelegated_hype", 0),
                ("hyperliquid_account_unstaking_pending_hype", 250_000),
                ("hyperliquid_account_unstaking_pending_withdrawals", 3),
            )
        ),
    ]


def relay_exposition() -> str:
    lines: list[str] = ["# TYPE hyperliquid_relay_delivery_latency_seconds histogram"]
    for channel in CHANNELS:
        c = {"channel": channel}
        lines += [
            _line("hyperliquid_relay_webhooks_received_total", c, 4),
            _line("hyperliquid_relay_webhooks_rejected_total", {**c, "reason": "unauthorized"}, 1),
            _line("hyperliquid_relay_webhooks_duplicate_total", c, 1),
            _line("hyperliquid_relay_notifications_total", c, 4),
            _line("hyperliquid_relay_notifications_failed_total", {**c, "reason": "rate_limited"}, 1),
            _line("hyperliquid_relay_queue_depth", c, 0),
            _line("hyperliquid_relay_queue_oldest_age_seconds", c, 0),
        ]
        for bound, count in (("0.5", 1), ("1.0", 3), ("5.0", 4), ("+Inf", 4)):
            lines.append(
                _line("hyperliquid_relay_delivery_latency_seconds_bucket", {**c, "le": bound}, count)
            )
        lines.append(_line("hyperliquid_relay_delivery_latency_seconds_sum", c, 3.2))
        lines.append(_line("hyperliquid_relay_delivery_latency_seconds_count", c, 4))
    return "\n".join(lines) + "\n"
