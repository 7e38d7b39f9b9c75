from __future__ import annotations

import asyncio

import pytest

from exporter.hyperliquid.budget import Priority, WeightBudget
from exporter.hyperliquid.weights import base_weight, item_surcharge, items_surcharge, weight_per_minute
from tests.support.clock import ManualClock


def test_documented_weights() -> None:
    assert base_weight("clearinghouseState") == 2
    assert base_weight("allMids") == 2
    assert base_weight("metaAndAssetCtxs") == 20
    assert base_weight("vaultDetails") == 20
    assert base_weight("userRole") == 60
    assert items_surcharge("userFillsByTime", 2000) == 100
    assert items_surcharge("userFillsByTime", 21) == 2
    assert items_surcharge("candleSnapshot", 61) == 2
    assert items_surcharge("metaAndAssetCtxs", 2000) == 0
    assert item_surcharge("userFills", [{}] * 40) == 2
    assert item_surcharge("clearinghouseState", [{}] * 40) == 0
    assert item_surcharge("userFills", {"not": "a list"}) == 0


def test_weight_per_minute_of_a_polled_request() -> None:
    assert weight_per_minute("metaAndAssetCtxs", 10.0) == 120.0
    assert weight_per_minute("clearinghouseState", 30.0, requests=4) == 16.0


def test_bucket_spreads_requests_over_the_minute() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(600, clock=clock)  # 10 weight per second, 150 burst
    assert budget.delay_for(20) == 0
    budget.charge(150, "market")
    assert budget.delay_for(20) == pytest.approx(2.0)
    clock.now += 2.0
    assert budget.delay_for(20) == pytest.approx(0.0)


def test_surcharge_debt_delays_later_requests_and_is_accounted() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(600, clock=clock)
    budget.charge(250, "fills")  # a big page of fills: bucket goes 100 into debt
    assert budget.delay_for(2) == pytest.approx(10.2)
    assert budget.used["fills"] == 250


def test_retry_after_pauses_every_request() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(600, clock=clock)
    budget.pause(7.5)
    assert budget.delay_for(2) == pytest.approx(7.5)
    clock.now += 7.5
    assert budget.delay_for(2) == 0


def test_a_request_heavier_than_the_bucket_still_proceeds() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(60, clock=clock)  # capacity 20
    assert budget.delay_for(60) == 0


def test_planned_weight_adds_up_per_collector() -> None:
    budget = WeightBudget(600)
    budget.plan("market", 120)
    budget.plan("market", 20)
    budget.plan("accounts", 72)
    assert budget.planned == {"market": 140, "accounts": 72}
    assert budget.planned_total == 212


async def test_acquire_waits_for_tokens_and_counts_usage() -> None:
    budget = WeightBudget(6000)  # 100/s, capacity 1500
    budget.charge(1500, "market")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await budget.acquire(10, "accounts")
    assert loop.time() - started >= 0.09
    assert budget.used["accounts"] == 10


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        WeightBudget(0)


async def test_critical_requests_overtake_waiting_bulk_ones() -> None:
    budget = WeightBudget(6000)  # 100/s, capacity 1500
    budget.charge(1500, "fills")  # a cascade's fill pages emptied the bucket
    served: list[str] = []

    async def request(name: str, priority: Priority) -> None:
        await budget.acquire(10, name, priority)
        served.append(name)

    bulk = asyncio.create_task(request("fills", Priority.NORMAL))
    watched = asyncio.create_task(request("watched", Priority.LOW))
    await asyncio.sleep(0)  # both queue first
    critical = asyncio.create_task(request("market", Priority.CRITICAL))
    await asyncio.gather(bulk, watched, critical)
    assert served == ["market", "fills", "watched"]


def test_bulk_requests_leave_room_for_their_surcharge_and_the_critical_reserve() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(600, clock=clock)  # 10/s, capacity 150, reserve 30
    budget.charge(60, "fills")  # 90 left
    assert budget.delay_for(20, Priority.CRITICAL) == 0
    assert budget.delay_for(2, Priority.HIGH) == 0  # 2 + 30 fits
    # A page of up to 2000 fills may cost 20 + 100: it waits for a full bucket.
    assert budget.delay_for(20, Priority.NORMAL, max_surcharge=100) == pytest.approx(6.0)


def test_retry_after_pause_is_capped() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(600, clock=clock, max_pause_seconds=10)
    assert budget.pause(100_000) == 10
    assert budget.delay_for(2) == pytest.approx(10)


async def test_surcharge_is_reserved_while_in_flight_and_the_rest_given_back() -> None:
    clock = ManualClock(1000.0)
    budget = WeightBudget(600, clock=clock)  # capacity 150, reserve 30
    await budget.acquire(20, "fills", Priority.NORMAL, max_surcharge=100)
    # A second page cannot start while the first may still cost 100 more.
    assert budget.delay_for(20, Priority.NORMAL, max_surcharge=100) == pytest.approx(12.0)
    # ...but a critical request can: the reserve is intact.
    assert budget.delay_for(2, Priority.CRITICAL) == 0
    budget.settle(100, 25, "fills")  # the page held 500 fills
    assert budget.used["fills"] == 45
    assert budget.delay_for(20, Priority.NORMAL, max_surcharge=100) == pytest.approx(4.5)
