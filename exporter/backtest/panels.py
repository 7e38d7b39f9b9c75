"""What a backtest report plots: the series a desk reads during an incident (from the Grafana
dashboards' queries), for one coin and venue-wide. Range selectors are written in real time and
scaled like the rules for a compressed run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    expr: str
    # The trace's name: a fixed text, or "{label}" filled from the series' labels.
    legend: str


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    unit: str
    queries: tuple[Query, ...]


def panels(coin: str) -> list[Panel]:
    selector = f'coin="{coin}"'
    return [
        Panel(
            "prices",
            f"{coin}: mark, oracle and references",
            "USD",
            (
                Query(f"max by (coin) (hyperliquid_mark_price{{{selector}}})", "mark"),
                Query(f"max by (coin) (hyperliquid_oracle_price{{{selector}}})", "oracle"),
                Query(f"max by (source) (hyperliquid_external_price{{{selector}}})", "{source}"),
            ),
        ),
        Panel(
            "open_interest",
            "Open interest",
            "USD",
            (
                Query(f"max by (coin) (hyperliquid_open_interest_usd{{{selector}}})", coin),
                Query("sum(max without(instance) (hyperliquid_open_interest_usd))", "all coins"),
            ),
        ),
        Panel(
            "funding",
            f"{coin}: funding rate (hourly)",
            "ratio",
            (Query(f"max by (coin) (hyperliquid_funding_rate{{{selector}}})", coin),),
        ),
        Panel(
            "hlp",
            "HLP: net exposure and unrealized PnL",
            "USD",
            (
                Query("sum(coin:hyperliquid_hlp_position_notional_usd:sum)", "net exposure"),
                Query(
                    "sum(max without(instance) (hyperliquid_account_position_unrealized_pnl_usd)"
                    " * on(account) group_left() max by (account)"
                    ' (hyperliquid_account_info{role=~"hlp|hlp_liquidator"}))',
                    "unrealized PnL",
                ),
            ),
        ),
        Panel(
            "liquidations",
            "Liquidations and auto-deleverages per minute",
            "fills / min",
            (
                Query(
                    "sum by (method) (max without(instance) (increase(hyperliquid_liquidations_total[1m])))",
                    "liquidations ({method})",
                ),
                Query(
                    "sum(max without(instance) (increase(hyperliquid_auto_deleverages_total[1m])))",
                    "auto-deleverages",
                ),
            ),
        ),
    ]


def legend(template: str, labels: dict[str, str]) -> str:
    try:
        return template.format_map(labels)
    except KeyError:
        return template
