"""A liquidator that HLP child discovery finds after start is streamed too: the user streams are
planned again and the connection renewed, its fills followed and its state published."""

from __future__ import annotations

from tests.streaming.support import (
    LIQUIDATORS,
    eventually,
    exporter_config,
    live_replay,
    running_exporter,
    samples,
    total,
)


async def test_a_liquidator_discovered_later_is_streamed() -> None:
    async with live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (state, url):
        config = exporter_config(url, accounts={"liquidators": [LIQUIDATORS[0]]})
        async with running_exporter(config) as exporter:
            streaming = exporter.streaming
            assert streaming is not None
            assert streaming.plan.liquidators == (LIQUIDATORS[0],)
            fills, accounts = streaming.fills, streaming.accounts
            assert fills is not None
            assert accounts is not None
            await eventually(lambda: accounts.live, within=15)
            # The HLP poller reads the children's names; "HLP Liquidator 2" joins the liquidators.
            context = exporter.context
            await eventually(lambda: all(a in context.liquidators for a in LIQUIDATORS), within=20)
            await streaming.replan_if_changed()  # (or the service's own check did it already)
            assert LIQUIDATORS[1] in streaming.plan.liquidators
            assert LIQUIDATORS[1] in fills.users
            await eventually(
                lambda: LIQUIDATORS[1] in state.ws.status()["users"].get("127.0.0.1", []), within=15
            )
            await eventually(lambda: accounts.live and fills.live, within=15)
            await eventually(
                lambda: total(samples(exporter), "hyperliquid_account_info", account=LIQUIDATORS[1]) == 1,
                within=15,
            )
            assert not await streaming.replan_if_changed()  # nothing new: no renewal
            assert streaming.replans >= 1
