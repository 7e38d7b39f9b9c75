"""Request weights per the API reference A.1, and 429 past 1200 per minute per client."""

from __future__ import annotations

import pytest

from exporter.config import HyperliquidConfig
from exporter.hyperliquid.weights import base_weight, items_surcharge
from exporter.replay.rate_limit import WeightLimiter
from tests.replay.support import HLP_LIQUIDATOR, FakeMonotonic, Replay


@pytest.mark.parametrize(
    ("request_type", "weight"),
    [
        ("allMids", 2),
        ("clearinghouseState", 2),
        ("l2Book", 2),
        ("userRole", 60),
        ("meta", 20),
        ("metaAndAssetCtxs", 20),
        ("vaultDetails", 20),
        ("perpsAtOpenInterestCap", 20),
        ("predictedFundings", 20),
        ("portfolio", 20),
        ("userFills", 20),
    ],
)
def test_base_weights(request_type: str, weight: int) -> None:
    assert base_weight(request_type) == weight


@pytest.mark.parametrize(("items", "extra"), [(0, 0), (1, 1), (20, 1), (21, 2), (2000, 100)])
def test_fills_cost_one_more_per_20_items(items: int, extra: int) -> None:
    assert items_surcharge("userFillsByTime", items) == extra
    assert items_surcharge("userFills", items) == extra
    assert items_surcharge("metaAndAssetCtxs", items) == 0
    assert items_surcharge("candleSnapshot", 61) == 2


def test_the_simulator_enforces_the_limit_the_exporter_budgets_within() -> None:
    assert WeightLimiter().limit == HyperliquidConfig().weight_limit_per_minute == 1200


def test_limiter_window_slides_per_client() -> None:
    clock = FakeMonotonic()
    limiter = WeightLimiter(monotonic=clock)
    for _ in range(60):
        assert limiter.try_spend("a", 20)
    assert not limiter.try_spend("a", 2)
    assert limiter.try_spend("b", 20), "another client has its own budget"
    clock.value = 59.9
    assert not limiter.try_spend("a", 2)
    clock.value = 60.1
    assert limiter.try_spend("a", 20)
    assert limiter.used("a") == 20


def test_server_answers_429_past_1200_weight_per_minute() -> None:
    replay = Replay("calm", rate_limit=True).at(10)
    for _ in range(60):
        assert replay.client.post("/info", json={"type": "metaAndAssetCtxs"}).status_code == 200
    refused = replay.client.post("/info", json={"type": "allMids"})
    assert refused.status_code == 429
    replay.limiter_clock.value = 61
    assert replay.client.post("/info", json={"type": "allMids"}).status_code == 200


def test_light_requests_fit_600_times_a_minute() -> None:
    replay = Replay("calm", rate_limit=True).at(10)
    statuses = [replay.client.post("/info", json={"type": "allMids"}).status_code for _ in range(601)]
    assert statuses[:600] == [200] * 600
    assert statuses[600] == 429


def test_fill_surcharge_is_charged() -> None:
    replay = Replay("cascade-2025-10-10", rate_limit=True).at(200)
    fills = replay.info({"type": "userFills", "user": HLP_LIQUIDATOR})
    assert len(fills) == 2000
    assert replay.state.limiter is not None
    assert replay.state.limiter.used("testclient") == 20 + 100


def test_rate_limit_can_be_switched_off() -> None:
    replay = Replay("calm", rate_limit=False).at(10)
    statuses = {replay.client.post("/info", json={"type": "meta"}).status_code for _ in range(70)}
    assert statuses == {200}
