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


# Alertmanager takes a batch of alerts into its groups one by one; on a loaded machine 170 of them took
# longer than a shrunk group_wait of 166 ms, and the group was sent in two notifications.
MIN_GROUP_WAIT_MS = 1000


def scale_route_timers(route: dict[str, Any], divisor: int) -> None:
    """Divide the timers of `route` and all its children, in place (group_wait no shorter than
    MIN_GROUP_WAIT_MS, so that one batch of alerts is one notification however busy the machine is)."""
    for key in _TIMER_KEYS:
        if key in route:
            scaled = duration_ms(str(route[key])) // divisor
            if key == "group_wait":
                scaled = max(scaled, MIN_GROUP_WAIT_MS)
            route[key] = f"{scaled}ms"
    for child in route.get("routes", []):
        scale_route_timers(child, divisor)
