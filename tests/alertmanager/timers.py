"""Shrink the routing tree's timers uniformly, so the shipped tree can be exercised in seconds.

Dividing every group_wait, group_interval and repeat_interval by the same factor keeps their order
(critical sooner than warning, the heartbeat repeating fastest) while matchers, grouping, receivers
and inhibitions stay exactly as shipped.
"""

from __future__ import annotations

import re
from typing import Any

_TIMER_KEYS = ("group_wait", "group_interval", "repeat_interval")
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_MILLISECONDS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def duration_ms(text: str) -> int:
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"unsupported duration {text!r} (expected one number and unit, e.g. 30s)")
    return int(match.group(1)) * _MILLISECONDS[match.group(2)]


def scale_route_timers(route: dict[str, Any], divisor: int) -> None:
    """Divide the timers of `route` and all its children, in place."""
    for key in _TIMER_KEYS:
        if key in route:
            route[key] = f"{duration_ms(str(route[key])) // divisor}ms"
    for child in route.get("routes", []):
        scale_route_timers(child, divisor)
