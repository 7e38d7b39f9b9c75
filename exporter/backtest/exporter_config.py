"""The exporter's configuration for a stack against the replay simulator, in compressed time.

Shared by `hyperliquid-backtest` and the end-to-end tests (tests/support/stack.py).
"""

from __future__ import annotations

from typing import Any

from exporter.replay.scenario import load_scenario


def exporter_config(
    scenario_name: str, speed: float, replay_url: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The exporter's configuration against the simulator at `replay_url`, every interval divided by
    `speed` (scenario seconds per wall second)."""
    scenario = load_scenario(scenario_name)
    watched = [{"address": account.address, "name": account.name[:64]} for account in scenario.accounts]
    config: dict[str, Any] = {
        "hyperliquid": {
            "api_url": replay_url,
            "timeout_seconds": 5,
            # Compressed time multiplies the request rate; the simulator's limit is off then.
            "weight_limit_per_minute": int(1200 * max(1.0, speed)),
            "max_retries": 2,
            "retry_max_wait_seconds": 2,
        },
        "collectors": {
            "market": {
                "interval_seconds": 10 / speed,
                "open_interest_cap_interval_seconds": 60 / speed,
                "book_depth": {"interval_seconds": 30 / speed},
            },
            "vaults": {"interval_seconds": 60 / speed},
            "accounts": {
                "interval_seconds": 15 / speed,
                "liquidator_interval_seconds": 5 / speed,
                "watched_interval_seconds": 30 / speed,
                "child_discovery_interval_seconds": 600 / speed,
                "watched": watched,
            },
            "fills": {"interval_seconds": 30 / speed, "watched_interval_seconds": 600 / speed},
            "liveness": {"interval_seconds": 5 / speed, "evm_rpc_url": f"{replay_url}/evm"},
            "governance": {"interval_seconds": 300 / speed},
            "dexes": {
                "interval_seconds": 15 / speed,
                "discovery_interval_seconds": 300 / speed,
                "status_interval_seconds": 120 / speed,
                "limits_interval_seconds": 3600 / speed,
                "watched_interval_seconds": 300 / speed,
                # The budget is per wall minute: compressed time multiplies it like the others' plans.
                "weight_per_minute": 150 * max(1.0, speed),
            },
        },
        "reference_prices": {
            **{
                source: {
                    "base_url": replay_url,
                    "interval_seconds": (60 if source == "coinbase" else 10) / speed,
                }
                for source in ("binance", "okx", "bybit", "kraken", "kucoin", "gate", "mexc", "coinbase")
            },
            "hyperliquid_spot": {"interval_seconds": 10 / speed},
            # The replica's own poll too: unscaled it would trail the compressed market by 100 s.
            "oracle_replica": {"interval_seconds": 10 / speed},
            # The perp venues (the mark's third component) are served by the simulator too.
            "perps": {
                venue: {"base_url": replay_url, "interval_seconds": 10 / speed}
                for venue in ("binance", "okx", "bybit", "gate", "mexc")
            },
            # The mark replica's EMAs run on the exporter's clock: compressed like the intervals, they
            # keep the venue's 150 s and 30 s in scenario time.
            "mark_replica": {
                "interval_seconds": 10 / speed,
                "ema_seconds": 150 / speed,
                "book_ema_seconds": 30 / speed,
            },
        },
    }
    if speed > 1:
        # The simulator pushes over /ws on the wall clock (every second) and the streams' timers are
        # not scaled: in compressed time they would be a different product. Streams are exercised at
        # speed 1 (tests/streaming, benchmarks/detection_latency.py).
        config["streaming"] = {"enabled": False}
    return merged(config, extra or {})


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` laid over it, nested mappings merged key by key."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


# Every collector that asks Hyperliquid or an exchange: off for a node hour, which holds fills only.
_API_COLLECTORS = ("market", "governance", "dexes", "vaults", "accounts", "fills", "liveness")


def node_exporter_config(data_dir: str, stream: str, speed: float, scrape_interval: float) -> dict[str, Any]:
    """The exporter in node mode only, reading `data_dir` in compressed time: no request leaves it."""
    return {
        # Never asked: every collector that would is off.
        "hyperliquid": {"api_url": "http://127.0.0.1:9"},
        "collectors": {name: {"enabled": False} for name in _API_COLLECTORS},
        "reference_prices": {"enabled": False},
        "streaming": {"enabled": False},
        "node": {
            "data_dir": data_dir,
            "stream": stream,
            # Production reads every 0.5 s: the same in the hour's time.
            "interval_seconds": max(0.02, 0.5 / speed),
            # Only for a coin or method not listed beforehand: shown at 0 for three scrapes first.
            "new_series_hold_seconds": 3 * scrape_interval,
        },
    }
