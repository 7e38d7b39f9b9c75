"""Snapshots, failure isolation, withdrawal of old data, log lines, readiness, self-metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import RequestStats
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.scheduler import Scheduler, data_max_age
from exporter.self_metrics import render_self_metrics
from exporter.store import SnapshotStore
from tests.exporter.fakes import ScriptedPoller, gauge
from tests.support.clock import ManualClock


def ok(values: dict[str, float]) -> Sequence[Metric]:
    return [gauge("hyperliquid_mark_price", values)]


def fail_upstream() -> Sequence[Metric]:
    raise UpstreamError("http_5xx", "metaAndAssetCtxs: HTTP 502")


def fail_parse() -> Sequence[Metric]:
    raise ParseError("metaAndAssetCtxs", "$[1]", "expected a list, got dict")


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def exposition(store: SnapshotStore, budget: WeightBudget | None = None) -> bytes:
    return store.exposition(render_self_metrics(store, RequestStats(), budget or WeightBudget(600)))


async def test_failure_is_isolated_and_visible() -> None:
    clock = ManualClock(1_700_000_000.0)
    store = SnapshotStore(clock=clock)
    market = ScriptedPoller("market", "market", [lambda: ok({"BTC": 100.0}), fail_upstream])
    vaults = ScriptedPoller(
        "vaults", "vaults", [lambda: [gauge("hyperliquid_vault_account_value_usd", {"0xv": 5.0}, "vault")]]
    )
    scheduler = Scheduler([market, vaults], store)
    assert not store.ready
    assert await scheduler.poll_once(market)
    assert not store.ready
    assert await scheduler.poll_once(vaults)
    assert store.ready
    first_success = clock.now
    clock.now += 10
    assert not await scheduler.poll_once(market)
    assert await scheduler.poll_once(vaults)
    values = samples(exposition(store))
    assert values[("hyperliquid_up", ())] == 0
    assert values[("hyperliquid_exporter_collector_success", (("collector", "market"),))] == 0
    assert values[("hyperliquid_exporter_collector_success", (("collector", "vaults"),))] == 1
    assert (
        values[("hyperliquid_exporter_collector_last_success_timestamp_seconds", (("collector", "market"),))]
        == first_success
    )
    # The last good market data is still served while younger than max_age...
    assert values[("hyperliquid_mark_price", (("coin", "BTC"),))] == 100.0
    # ...and withdrawn once older, so alerts never freeze on old values.
    clock.now += 25
    values = samples(exposition(store))
    assert ("hyperliquid_mark_price", (("coin", "BTC"),)) not in values
    assert values[("hyperliquid_vault_account_value_usd", (("vault", "0xv"),))] == 5.0


async def test_a_closed_position_is_gone_after_the_next_poll() -> None:
    store = SnapshotStore()
    poller = ScriptedPoller(
        "market", "market", [lambda: ok({"BTC": 1.0, "JELLY": 2.0}), lambda: ok({"BTC": 1.5})]
    )
    scheduler = Scheduler([poller], store)
    await scheduler.poll_once(poller)
    await scheduler.poll_once(poller)
    values = samples(exposition(store))
    assert values[("hyperliquid_mark_price", (("coin", "BTC"),))] == 1.5
    assert ("hyperliquid_mark_price", (("coin", "JELLY"),)) not in values


async def test_one_log_line_per_failure_kind(caplog: pytest.LogCaptureFixture) -> None:
    store = SnapshotStore()
    poller = ScriptedPoller(
        "market",
        "market",
        [fail_upstream, fail_upstream, fail_upstream, fail_parse, lambda: ok({"BTC": 1.0}), fail_upstream],
    )
    scheduler = Scheduler([poller], store)
    with caplog.at_level(logging.INFO, logger="exporter.scheduler"):
        for _ in range(6):
            await scheduler.poll_once(poller)
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert messages == [
        "poller market (collector market) failed: metaAndAssetCtxs: HTTP 502; "
        "repeats of this failure are logged at debug level",
        "poller market (collector market) failed: "
        "metaAndAssetCtxs response: $[1]: expected a list, got dict; "
        "repeats of this failure are logged at debug level",
        "poller market (collector market) recovered",
        "poller market (collector market) failed: metaAndAssetCtxs: HTTP 502; "
        "repeats of this failure are logged at debug level",
    ]
    assert not any(record.exc_info for record in caplog.records)


async def test_an_unexpected_bug_is_logged_with_its_traceback_and_does_not_escape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> Sequence[Metric]:
        raise KeyError("oops")

    store = SnapshotStore()
    poller = ScriptedPoller("market", "market", [broken])
    with caplog.at_level(logging.WARNING):
        assert not await Scheduler([poller], store).poll_once(poller)
    assert caplog.records[0].exc_info is not None
    assert store.ready


async def test_families_shared_between_pollers_are_joined_under_one_header() -> None:
    store = SnapshotStore()
    liquidators = ScriptedPoller(
        "accounts_liquidators",
        "accounts",
        [lambda: [gauge("hyperliquid_account_value_usd", {"0xa": 1.0}, "account")]],
    )
    watched = ScriptedPoller(
        "accounts_watched",
        "accounts",
        [lambda: [gauge("hyperliquid_account_value_usd", {"0xb": 2.0}, "account")]],
    )
    scheduler = Scheduler([liquidators, watched], store)
    await scheduler.poll_once(liquidators)
    await scheduler.poll_once(watched)
    text = exposition(store)
    assert text.count(b"# TYPE hyperliquid_account_value_usd gauge") == 1
    values = samples(text)
    assert values[("hyperliquid_account_value_usd", (("account", "0xa"),))] == 1.0
    assert values[("hyperliquid_account_value_usd", (("account", "0xb"),))] == 2.0
    assert values[("hyperliquid_exporter_collector_success", (("collector", "accounts"),))] == 1


async def test_self_metrics_report_budget_and_plan() -> None:
    store = SnapshotStore()
    budget = WeightBudget(600)
    budget.charge(42, "market")
    poller = ScriptedPoller("market", "market", [lambda: ok({"BTC": 1.0})])
    await Scheduler([poller], store).poll_once(poller)
    values = samples(exposition(store, budget))
    assert values[("hyperliquid_exporter_api_weight_budget_per_minute", ())] == 600
    assert values[("hyperliquid_exporter_api_weight_used_total", (("collector", "market"),))] == 42
    assert values[("hyperliquid_exporter_api_weight_planned_per_minute", (("collector", "market"),))] == 120
    assert values[("hyperliquid_up", ())] == 1


async def test_success_is_never_reported_for_withdrawn_data() -> None:
    """A poller that stops reporting (a hung request, a dead task) turns success to 0 with its data."""
    clock = ManualClock(1_700_000_000.0)
    store = SnapshotStore(clock=clock)
    market = ScriptedPoller("market", "market", [lambda: ok({"BTC": 100.0})])
    await Scheduler([market], store).poll_once(market)
    values = samples(exposition(store))
    assert values[("hyperliquid_up", ())] == 1
    assert values[("hyperliquid_mark_price", (("coin", "BTC"),))] == 100.0
    clock.now += market.max_age + 1  # no poll finished since
    values = samples(exposition(store))
    assert ("hyperliquid_mark_price", (("coin", "BTC"),)) not in values
    assert values[("hyperliquid_up", ())] == 0
    assert values[("hyperliquid_exporter_collector_success", (("collector", "market"),))] == 0


@pytest.mark.parametrize("seed", range(20))
async def test_invariant_success_implies_data_on_metrics(seed: int) -> None:
    """Random polls, failures and clock jumps: whenever a collector reports 1, its data is there."""
    import random

    rng = random.Random(seed)
    clock = ManualClock(1_700_000_000.0)
    store = SnapshotStore(clock=clock)

    def succeed(name: str) -> Callable[[], Sequence[Metric]]:
        return lambda: [gauge("hyperliquid_account_value_usd", {name: 1.0}, "account")]

    pollers = [
        ScriptedPoller(name, "accounts", [succeed(name), fail_upstream])
        for name in ("accounts_liquidators", "accounts_hlp")
    ]
    scheduler = Scheduler(pollers, store)
    for _ in range(60):
        poller = rng.choice(pollers)
        poller.calls = 0 if rng.random() < 0.6 else 1  # next poll succeeds or fails
        if rng.random() < 0.7:
            await scheduler.poll_once(poller)
        clock.now += rng.choice([1.0, 5.0, 15.0, 40.0])
        values = samples(exposition(store))
        if values[("hyperliquid_exporter_collector_success", (("collector", "accounts"),))] == 1:
            for name in ("accounts_liquidators", "accounts_hlp"):
                assert values[("hyperliquid_account_value_usd", (("account", name),))] == 1.0


class HangingPoller:
    name = "accounts_liquidators"
    collector = "accounts"
    interval = 0.05
    max_age = 0.15
    planned_weight_per_minute = 0.0

    async def poll(self) -> Sequence[Metric]:
        await asyncio.Event().wait()  # a body that never ends
        raise AssertionError("unreachable")


async def test_a_poll_that_never_ends_fails_at_its_deadline(caplog: pytest.LogCaptureFixture) -> None:
    store = SnapshotStore()
    poller = HangingPoller()
    with caplog.at_level(logging.WARNING, logger="exporter.scheduler"):
        assert not await Scheduler([poller], store).poll_once(poller)
    assert store.health[poller.name].failure.current == "deadline"
    assert "deadline of 0.1 s" in caplog.records[0].getMessage()
    values = samples(exposition(store))
    assert values[("hyperliquid_exporter_collector_success", (("collector", "accounts"),))] == 0


async def test_credentials_in_urls_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    def refused() -> Sequence[Metric]:
        raise UpstreamError(
            "connection", "meta: cannot reach https://alice:hunter2@hl.example/info?token=abc"
        )

    store = SnapshotStore()
    poller = ScriptedPoller("market", "market", [refused])
    with caplog.at_level(logging.WARNING, logger="exporter.scheduler"):
        await Scheduler([poller], store).poll_once(poller)
    message = caplog.records[0].getMessage()
    assert "hunter2" not in message
    assert "abc" not in message
    assert "https://<redacted>@hl.example/info?token=<redacted>" in message


async def test_data_expiry_counts_from_start_until_the_first_success() -> None:
    clock = ManualClock(1_700_000_000.0)
    store = SnapshotStore(clock=clock)
    started = clock.now
    market = ScriptedPoller("market", "market", [fail_upstream, lambda: ok({"BTC": 1.0})])
    scheduler = Scheduler([market], store)
    expiry = ("hyperliquid_exporter_collector_data_expiry_timestamp_seconds", (("collector", "market"),))
    assert samples(exposition(store))[expiry] == started + market.max_age
    clock.now += 5
    await scheduler.poll_once(market)  # fails: still expected by start + max age
    assert samples(exposition(store))[expiry] == started + market.max_age
    clock.now += 5
    await scheduler.poll_once(market)
    assert samples(exposition(store))[expiry] == clock.now + market.max_age


async def test_a_deadline_is_never_shorter_than_one_request_timeout(caplog: pytest.LogCaptureFixture) -> None:
    store = SnapshotStore()
    poller = HangingPoller()
    with caplog.at_level(logging.WARNING, logger="exporter.scheduler"):
        assert not await Scheduler([poller], store, shortest_deadline=0.3).poll_once(poller)
    assert "deadline of 0.3 s" in caplog.records[0].getMessage()


def test_data_outlives_a_poll_still_within_its_deadline() -> None:
    """Issue 31: with a 1 s interval and a 5 s request timeout the poll's deadline is 5 s, so data kept
    only 3 intervals (3 s) was withdrawn while a slow but healthy poll was still running."""

    class Fast:
        name, collector, interval, max_age, planned_weight_per_minute = "fast", "accounts", 1.0, 3.0, 0.0

        async def poll(self) -> Sequence[Metric]:
            return []

    class Usual(Fast):
        interval, max_age = 10.0, 30.0

    assert data_max_age(Fast(), shortest_deadline=5.0) == 1.0 + 5.0
    assert data_max_age(Usual(), shortest_deadline=5.0) == 30.0  # shipped intervals: unchanged
    store = SnapshotStore()
    Scheduler([Fast()], store, shortest_deadline=5.0)
    assert store.health["fast"].max_age == 6.0


async def test_without_the_market_collector_there_is_no_hyperliquid_up() -> None:
    """A node-only exporter (API collectors off) polls no market data: `hyperliquid_up 0` would page
    HyperliquidAPIUnreachable for an API it never asks. The series is absent instead."""
    store = SnapshotStore()
    vaults = ScriptedPoller("vaults", "vaults", [lambda: ok({"BTC": 1.0})])
    await Scheduler([vaults], store).poll_once(vaults)
    values = samples(exposition(store))
    assert values[("hyperliquid_exporter_collector_success", (("collector", "vaults"),))] == 1
    assert not any(name == "hyperliquid_up" for name, _ in values)
