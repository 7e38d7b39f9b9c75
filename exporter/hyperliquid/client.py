"""Async client for Hyperliquid's `POST /info`, inside the shared weight budget.

Retries timeouts, connection errors, 5xx and 429 (honouring Retry-After, capped by the budget's
`max_pause_seconds`) with jittered exponential backoff; never retries other 4xx. Every attempt is
paid for from the budget. `timeout_seconds` bounds a whole attempt, from sending the request to
the last byte of the answer: a body dripped one byte a second times out like a silent server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from exporter.hyperliquid.budget import BudgetBusy, Priority, WeightBudget
from exporter.hyperliquid.errors import UpstreamError
from exporter.hyperliquid.weights import base_weight, item_surcharge, items_surcharge
from exporter.redaction import redact_url

log = logging.getLogger(__name__)

USER_AGENT = "hyperliquid-exporter (+https://github.com/hyperliquid-exporter/hyperliquid-exporter)"


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


# Answers larger than this (a page of 2000 fills is ~700 kB) are decoded off the event loop, so
# that the critical pollers' requests keep moving meanwhile.
DECODE_IN_THREAD_BYTES = 64 * 1024


async def _decode(content: bytes) -> Any:
    if len(content) > DECODE_IN_THREAD_BYTES:
        return await asyncio.to_thread(json.loads, content)
    return json.loads(content)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, UpstreamError) and exc.reason in ("timeout", "connection", "http_5xx", "http_429")


# Upper bounds of the request-duration histogram, in seconds (a healthy info request takes 50-300 ms).
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestStats:
    """Counts of requests and failures by request type, read by the exporter's self-metrics."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()
        # Per request type: counts per bucket of DURATION_BUCKETS (then +Inf), and the sum of seconds.
        self.duration_buckets: dict[str, list[int]] = {}
        self.duration_sum: dict[str, float] = {}

    def observe(self, request_type: str, seconds: float) -> None:
        """One attempt's duration, whatever its outcome (an error answer, a timeout)."""
        buckets = self.duration_buckets.setdefault(request_type, [0] * (len(DURATION_BUCKETS) + 1))
        index = next(
            (i for i, bound in enumerate(DURATION_BUCKETS) if seconds <= bound), len(DURATION_BUCKETS)
        )
        buckets[index] += 1
        self.duration_sum[request_type] = self.duration_sum.get(request_type, 0.0) + seconds


class InfoClient:
    def __init__(
        self,
        api_url: str,
        budget: WeightBudget,
        *,
        timeout_seconds: float = 10.0,
        max_retries: int = 3,
        retry_max_wait_seconds: float = 30.0,
        http: httpx.AsyncClient | None = None,
        stats: RequestStats | None = None,
    ) -> None:
        self.url = api_url.rstrip("/") + "/info"
        self._shown_url = redact_url(self.url)  # for messages: never a credential in a log line
        self._timeout = timeout_seconds
        self.budget = budget
        self.stats = stats or RequestStats()
        self._max_retries = max_retries
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=retry_max_wait_seconds, jitter=0.5)
        self._retry_max_wait = retry_max_wait_seconds
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            headers={"User-Agent": USER_AGENT},
            # Room for a few stuck connections (a dripping body holds one until its timeout)
            # without starving the other pollers' requests.
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, UpstreamError) and exc.retry_after is not None:
            return min(exc.retry_after, self._retry_max_wait, self.budget.max_pause_seconds)
        return float(self._backoff(state))

    async def info(
        self,
        body: dict[str, Any],
        collector: str,
        priority: Priority | None = None,
        max_items: int = 0,
        queue_until: float | None = None,
    ) -> Any:
        """POST `body` to /info on behalf of `collector`; return the decoded JSON.

        `priority` defaults to the collector's (see budget.COLLECTOR_PRIORITY); `max_items` is the
        most items the answer can hold, so that the budget keeps room for its per-item surcharge.
        `queue_until` (event-loop time): give up with `BudgetBusy` if the weight budget has not let the
        request go by then; nothing is spent.
        """
        request_type = str(body.get("type", "unknown"))
        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(body, request_type, collector, priority, max_items, queue_until)
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    async def _attempt(
        self,
        body: dict[str, Any],
        request_type: str,
        collector: str,
        priority: Priority | None,
        max_items: int,
        queue_until: float | None,
    ) -> Any:
        weight = base_weight(request_type)
        max_surcharge = items_surcharge(request_type, max_items)
        queued = time.monotonic()
        try:
            # Cancelled while waiting for its turn, a request has spent nothing (budget.acquire).
            async with asyncio.timeout_at(queue_until):
                await self.budget.acquire(weight, collector, priority, max_surcharge)
        except TimeoutError as exc:
            raise BudgetBusy(
                f"{request_type} for {collector}: the weight budget had no turn for it within "
                f"{time.monotonic() - queued:.1f} s"
            ) from exc
        log.debug(
            "%s for %s (weight %d) after %.2f s in the weight budget's queue",
            request_type,
            collector,
            weight,
            time.monotonic() - queued,
        )
        surcharge = 0  # what the answer's items cost; the reserve for them is settled either way
        try:
            self.stats.requests[request_type] += 1
            started = asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(self._timeout):
                    response = await self._http.post(self.url, json=body)
            except httpx.ConnectError as exc:
                # Nothing reached upstream, so nothing counts against its rate limit.
                self.budget.refund(weight, collector)
                raise self._unreachable(request_type, exc) from exc
            except httpx.TimeoutException as exc:
                raise self._fail(request_type, "timeout", f"timed out after {type(exc).__name__}") from exc
            except TimeoutError as exc:
                raise self._fail(
                    request_type, "timeout", f"no complete answer within {self._timeout:g} s"
                ) from exc
            except httpx.TransportError as exc:
                raise self._unreachable(request_type, exc) from exc
            status = response.status_code
            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is not None:
                    retry_after = self.budget.pause(retry_after)
                raise self._fail(request_type, "http_429", "rate limited (HTTP 429)", retry_after)
            if status >= 500:
                raise self._fail(request_type, "http_5xx", f"HTTP {status}")
            if status >= 400:
                snippet = response.text[:200].strip()
                raise self._fail(request_type, "http_4xx", f"HTTP {status}: {snippet}")
            try:
                decoded = await _decode(response.content)
            except ValueError as exc:
                raise self._fail(request_type, "invalid_json", f"response is not JSON: {exc}") from exc
            surcharge = item_surcharge(request_type, decoded)
            return decoded
        finally:
            self.stats.observe(request_type, asyncio.get_running_loop().time() - started)
            self.budget.settle(max_surcharge, surcharge, collector)

    def _unreachable(self, request_type: str, exc: Exception) -> UpstreamError:
        detail = redact_url(repr(exc))
        return self._fail(request_type, "connection", f"cannot reach {self._shown_url}: {detail}")

    def _fail(
        self, request_type: str, reason: str, message: str, retry_after: float | None = None
    ) -> UpstreamError:
        self.stats.errors[(request_type, reason)] += 1
        return UpstreamError(reason, f"{request_type}: {message}", retry_after)
