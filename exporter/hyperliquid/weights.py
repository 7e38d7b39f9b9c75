"""Hyperliquid info-request weights (reference: Hyperliquid's rate-limit documentation).

All REST requests from one IP share 1200 weight per minute. Some requests cost extra per
item returned, which is only known after the answer arrives. The exporter plans and paces its
requests with this table, and the simulator charges its clients with the same one.
"""

from __future__ import annotations

import math
from typing import Any

# What Hyperliquid allows all REST requests from one IP together.
IP_LIMIT_PER_MINUTE = 1200

LIGHT_REQUESTS = frozenset(
    {"l2Book", "allMids", "clearinghouseState", "orderStatus", "spotClearinghouseState", "exchangeStatus"}
)
HEAVY_REQUESTS = {"userRole": 60}
DEFAULT_WEIGHT = 20

# Requests that cost one more per `divisor` items returned.
ITEM_SURCHARGE_DIVISORS = {
    "recentTrades": 20,
    "historicalOrders": 20,
    "userFills": 20,
    "userFillsByTime": 20,
    "fundingHistory": 20,
    "userFunding": 20,
    "userNonFundingLedgerUpdates": 20,
    "twapHistory": 20,
    "userTwapSliceFills": 20,
    "userTwapSliceFillsByTime": 20,
    "delegatorHistory": 20,
    "delegatorRewards": 20,
    "validatorStats": 20,
    "candleSnapshot": 60,
}


def base_weight(request_type: str) -> int:
    if request_type in LIGHT_REQUESTS:
        return 2
    return HEAVY_REQUESTS.get(request_type, DEFAULT_WEIGHT)


def items_surcharge(request_type: str, items: int) -> int:
    """Extra weight charged for `items` items returned (0 for fixed-weight requests)."""
    divisor = ITEM_SURCHARGE_DIVISORS.get(request_type)
    return math.ceil(items / divisor) if divisor else 0


def item_surcharge(request_type: str, response: Any) -> int:
    """Extra weight charged for the items in `response` (0 for fixed-weight requests)."""
    return items_surcharge(request_type, len(response)) if isinstance(response, list) else 0


def weight_per_minute(request_type: str, interval: float, requests: float = 1) -> float:
    """Base weight per minute of `requests` requests of `request_type` sent every `interval` seconds."""
    return requests * base_weight(request_type) * 60.0 / interval
