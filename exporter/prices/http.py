"""One GET to a reference exchange, its failures mapped to SourceError reasons. No retries: the
next poll comes soon, and an exchange that rate-limits should not be asked again at once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from exporter.prices.errors import SourceError

BLOCKED_STATUSES = (403, 451)


async def get_json(
    http: httpx.AsyncClient,
    source: str,
    url: str,
    timeout_seconds: float,
    params: Mapping[str, str] | None = None,
    absent_statuses: tuple[int, ...] = (),
) -> Any:
    """The decoded JSON body, or None when the status is one of `absent_statuses` (no such pair)."""
    try:
        response = await http.get(url, params=params, timeout=timeout_seconds)
    except httpx.TimeoutException:
        raise SourceError(source, "timeout", f"no answer from {url} within {timeout_seconds:g}s") from None
    except httpx.TransportError as exc:
        raise SourceError(source, "connection", f"cannot reach {url}: {exc!r}") from None
    status = response.status_code
    if status in BLOCKED_STATUSES:
        raise SourceError(
            source,
            "blocked",
            f"HTTP {status} from {url}: the exchange refuses this IP (region block?); "
            f"disable the source in reference_prices if this is permanent",
        )
    if status == 429:
        raise SourceError(source, "rate_limited", f"HTTP 429 from {url}")
    if status >= 500:
        raise SourceError(source, "http_5xx", f"HTTP {status} from {url}")
    if status in absent_statuses:
        return None
    if not 200 <= status < 300:
        snippet = response.text[:200].strip()
        raise SourceError(source, f"http_{status // 100}xx", f"HTTP {status} from {url}: {snippet}")
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise SourceError(source, "invalid_json", f"response from {url} is not JSON: {exc}") from None
