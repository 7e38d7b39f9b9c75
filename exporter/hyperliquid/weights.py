"""Hyperliquid info-request weights (reference: Hyperliquid's rate-limit documentation).

All REST requests from one IP share 1200 weight per minute. Some requests cost extra per
item returned, which is only known after the answer arrives.
"""

from __future__ import annotations

import math
from typing import Any

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


def item_surcharge(request_type: str, response: Any) -> int:
    """Extra weight charged for the items in `response` (0 for fixed-weight requests)."""
    divisor = ITEM_SURCHARGE_DIVISORS.get(request_type)
    if divisor is None or not isinstance(response, list):
        return 0
    return math.ceil(len(response) / divisor)


def request_weight(request_type: str, items: int = 0) -> int:
    """Total weight of one request returning `items` items."""
    divisor = ITEM_SURCHARGE_DIVISORS.get(request_type)
    surcharge = math.ceil(items / divisor) if divisor else 0
    return base_weight(request_type) + surcharge
