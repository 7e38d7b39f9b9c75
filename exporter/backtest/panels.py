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
                # The exporter's replica of the oracle's weighted median, where it prices the coin.
                Query(f"max by (coin) (hyperliquid_oracle_replica_price{{{selector}}})", "oracle replica"),
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
        LIQUIDATIONS,
    ]


LIQUIDATIONS = Panel(
    "liquidations",
    "Liquidations and auto-deleverages per minute",
    "fills / min",
    (
        # What the monitored accounts' fills show, and with node mode on, the whole venue.
        Query(
            "sum by (method) (max without(instance) (increase(hyperliquid_liquidations_total[1m])))",
            "liquidations ({method})",
        ),
        Query(
            "sum(max without(instance) (increase(hyperliquid_auto_deleverages_total[1m])))",
            "auto-deleverages",
        ),
        Query(
            "sum by (method) (max without(instance) (increase(hyperliquid_venue_liquidations_total[1m])))",
            "venue liquidations ({method})",
        ),
        Query(
            "sum(max without(instance) (increase(hyperliquid_venue_auto_deleverages_total[1m])))",
            "venue auto-deleverages",
        ),
    ),
)

VENUE_NOTIONAL = Panel(
    "venue_notional",
    "Venue: USD liquidated and auto-deleveraged per minute",
    "USD / min",
    (
        Query(
            "sum by (method) (max without(instance)"
            " (increase(hyperliquid_venue_liquidated_notional_usd_total[1m])))",
            "liquidated ({method})",
        ),
        Query(
            "sum(max without(instance)"
            " (increase(hyperliquid_venue_auto_deleveraged_notional_usd_total[1m])))",
            "auto-deleveraged",
        ),
    ),
)

_FILLS_ONLY = "a node hour holds the venue's fills only"
# What a node hour cannot show: the other panels' titles, and why.
NOT_IN_A_NODE_HOUR = {
    "Mark, oracle and references": f"{_FILLS_ONLY}: no mark, oracle or reference prices",
    "Open interest": f"{_FILLS_ONLY}: no open interest",
    "Funding rate (hourly)": f"{_FILLS_ONLY}: no funding rates",
    "HLP: net exposure and unrealized PnL": f"{_FILLS_ONLY}: no positions or account values",
}


def node_panels() -> list[Panel]:
    """The panels a recorded node hour has data for: the venue's liquidations and ADL."""
    return [LIQUIDATIONS, VENUE_NOTIONAL]


def legend(template: str, labels: dict[str, str]) -> str:
    try:
        return template.format_map(labels)
    except KeyError:
        return template
