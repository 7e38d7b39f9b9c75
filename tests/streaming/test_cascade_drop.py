"""The cascade's ADL burst, with the connection dropped in the middle of it: every fill is counted once."""

from __future__ import annotations

import httpx

from exporter.hyperliquid.fills import AUTO_DELEVERAGING_DIR
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
START = 91.0  # scenario seconds: backstop fills still running, the ADL burst at 94, 100 and 110
END = 111.0


async def test_drop_mid_adl_burst_counts_exactly_the_scenario_fills() -> None:
    async with live_replay("cascade-2025-10-10", start_offset=START, speed=2.0) as (state, url):
        # The HLP Liquidator's 2,400 ADL fills at 94 s arrive in 5 messages, the 1,500 at 100 s in 3:
        # the connection drops right after the first message of the second wave.
        async with httpx.AsyncClient(base_url=url) as admin:
            response = await admin.post(
                "/_replay/ws", json={"fault": "drop", "after_fill_updates": 6, "user": HLP_LIQUIDATOR}
            )
            assert response.status_code == 200, response.text
        async with running_exporter(exporter_config(url)) as exporter:
            assert exporter.streaming is not None
            counters = exporter.streaming.fills.counters if exporter.streaming.fills else None
            assert counters is not None
            await eventually(lambda: state.clock.now() >= END, within=30)
            start_ms = counters.counting_start_ms
            expected_adl = expected_other = 0
            adl_notional = 0.0
            for liquidator in LIQUIDATORS:
                track = state.timeline.account(liquidator)
                assert track is not None
                for fill in track.fills:
                    if not start_ms <= state.clock.wall_ms(fill.time) or fill.time > END:
                        continue
                    if fill.direction == AUTO_DELEVERAGING_DIR:
                        expected_adl += 1
                        adl_notional += fill.px * fill.sz
                    else:
                        expected_other += 1
            assert expected_adl == 2400 + 1500 + 800

            def counted() -> tuple[float, float]:
                observed = samples(exporter)
                return (
                    total(observed, "hyperliquid_auto_deleverages_total"),
                    total(observed, "hyperliquid_liquidations_total", method="backstop"),
                )

            await eventually(lambda: counted() == (expected_adl, expected_other), within=20)
            observed = samples(exporter)
            assert total(observed, "hyperliquid_stream_reconnects_total", connection="users") >= 1
            assert state.ws.fill_updates >= 6
            notional = total(observed, "hyperliquid_auto_deleveraged_notional_usd_total")
            # The API's price and size strings are rounded: within 0.01 % of the unrounded notional.
            assert abs(notional - adl_notional) < 1e-4 * adl_notional
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
            assert counted() == (expected_adl, expected_other)
