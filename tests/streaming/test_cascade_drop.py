"""The cascade's ADL burst, with the connection dropped in the middle of it: every fill is counted once."""

from __future__ import annotations

import httpx

from exporter.hyperliquid.fills import AUTO_DELEVERAGING_DIR
from exporter.replay.fills import Fill as ReplayFill
from tests.streaming.support import (
    LIQUIDATORS,
    eventually,
    exporter_config,
    live_replay,
    running_exporter,
    samples,
    total,
)

HLP_LIQUIDATOR = LIQUIDATORS[0]
WHALE = "0x5eed000000000000000000000000000000001010"  # insider-whale: deleveraged at 156 s
START = 150.0  # scenario seconds: the 2,468-fill ADL millisecond at 156 s, 800 more at 170 s
END = 171.0


async def test_drop_mid_adl_burst_counts_exactly_the_scenario_fills_on_both_sides() -> None:
    async with live_replay("cascade-2025-10-10", start_offset=START, speed=2.0) as (state, url):
        # The HLP Liquidator's 2,203 self-naming ADL fills at 156 s arrive in 5 messages: the
        # connection drops right after the second.
        async with httpx.AsyncClient(base_url=url) as admin:
            response = await admin.post(
                "/_replay/ws", json={"fault": "drop", "after_fill_updates": 2, "user": HLP_LIQUIDATOR}
            )
            assert response.status_code == 200, response.text
        config = exporter_config(url, accounts={"watched": [{"address": WHALE, "name": "insider-whale"}]})
        async with running_exporter(config) as exporter:
            assert exporter.streaming is not None
            assert WHALE in exporter.streaming.plan.users
            counters = exporter.streaming.fills.counters if exporter.streaming.fills else None
            assert counters is not None
            await eventually(lambda: state.clock.now() >= END, within=30)
            start_ms = counters.counting_start_ms

            def in_window(fill: ReplayFill) -> bool:
                return start_ms <= state.clock.wall_ms(fill.time) and fill.time <= END

            own_side: dict[str, int] = {}
            adl_notional = 0.0
            backstops = 0
            for liquidator in LIQUIDATORS:
                track = state.timeline.account(liquidator)
                assert track is not None
                for fill in filter(in_window, track.fills):
                    assert fill.direction != AUTO_DELEVERAGING_DIR  # the venue never puts ADL there
                    if fill.liquidation is not None and fill.liquidation.liquidated_user == liquidator:
                        own_side[liquidator] = own_side.get(liquidator, 0) + 1
                        adl_notional += fill.px * fill.sz
                    else:
                        backstops += 1
            assert own_side == {HLP_LIQUIDATOR: 2203 + 800, LIQUIDATORS[1]: 265}
            whale = state.timeline.account(WHALE)
            assert whale is not None
            whale_adl = [f for f in filter(in_window, whale.fills) if f.direction == AUTO_DELEVERAGING_DIR]
            assert len(whale_adl) == 1
            expected_adl = sum(own_side.values())  # the whale's fill is the other side of one of them

            def counted() -> tuple[float, float, float, float]:
                observed = samples(exporter)
                return (
                    total(observed, "hyperliquid_auto_deleverages_total"),
                    total(observed, "hyperliquid_liquidations_total", method="backstop"),
                    total(observed, "hyperliquid_account_auto_deleverages_total", account=WHALE),
                    total(observed, "hyperliquid_account_liquidations_total", account=HLP_LIQUIDATOR),
                )

            expected = (expected_adl, backstops, 1.0, 2203 + 800)
            await eventually(lambda: counted() == expected, within=20)
            observed = samples(exporter)
            assert total(observed, "hyperliquid_stream_reconnects_total", connection="users") >= 1
            assert state.ws.fill_updates >= 2
            notional = total(observed, "hyperliquid_auto_deleveraged_notional_usd_total")
            # The API's price and size strings are rounded: within 0.01 % of the unrounded notional.
            assert abs(notional - adl_notional) < 1e-4 * adl_notional
            covered = total(
                observed,
                "hyperliquid_account_last_auto_deleverage_timestamp_seconds",
                account=WHALE,
                covered_account=LIQUIDATORS[1],
            )
            assert covered == state.clock.wall_ms(156) / 1000
            # Both paths delivered some of the same fills; the gate counted each once.
            assert counters.duplicates > 0
            await eventually(
                lambda: (
                    exporter.streaming is not None
                    and exporter.streaming.fills is not None
                    and exporter.streaming.fills.live
                ),
                within=10,
            )
            assert counted() == expected
