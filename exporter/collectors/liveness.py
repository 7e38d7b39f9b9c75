"""Is the chain's clock running? Two vantage points that do not depend on our streams.

- `exchangeStatus` (info API, weight 2): its `time` is the venue's clock, in milliseconds.
- HyperEVM's latest block (`eth_getBlockByNumber ["latest", false]` on a JSON-RPC URL, no info-API
  weight): its `timestamp`, in seconds. HyperEVM blocks are produced by the same chain, so its clock
  stops when the chain halts but not when only the info API's servers are overloaded.

For each source, `hyperliquid_chain_time_seconds{source}` is the chain time read, and
`hyperliquid_chain_time_lag_seconds{source}` how far it trailed our clock when it was read: a few
seconds while the chain is live, growing by a second a second while it is halted and the source
still answers. A source that fails to answer is withdrawn (with its failure counted), so a failing
API is never read as a halted chain. The third vantage point, each stream's last message, is
published by the streams (`hyperliquid_stream_last_message_age_seconds`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config, LivenessCollectorConfig
from exporter.failure_tracker import FailureTracker
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.weights import weight_per_minute
from exporter.redaction import redact_url
from exporter.scheduler import failure_kind

log = logging.getLogger(__name__)

COLLECTOR = "liveness"
EXCHANGE_STATUS = "exchangeStatus"
SOURCE_EXCHANGE_STATUS = "exchange_status"
SOURCE_EVM = "evm"
EVM_METHOD = "eth_getBlockByNumber"
EVM_REQUEST = {"jsonrpc": "2.0", "id": 1, "method": EVM_METHOD, "params": ["latest", False]}


def parse_exchange_status(data: Any) -> float:
    """The venue's time in epoch seconds from an exchangeStatus answer (`{"time": ms, ...}`)."""
    time_ms = data.get("time") if isinstance(data, dict) else None
    if not isinstance(time_ms, int | float) or isinstance(time_ms, bool) or time_ms <= 0:
        raise ParseError(EXCHANGE_STATUS, "$.time", "no positive time in milliseconds")
    return float(time_ms) / 1000.0


def parse_evm_block(data: Any) -> tuple[int, float]:
    """(block number, timestamp in epoch seconds) from an eth_getBlockByNumber answer."""
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        error = data.get("error") if isinstance(data, dict) else None
        raise ParseError(EVM_METHOD, "$.result", f"no block in the answer ({str(error)[:100]})")
    try:
        number, timestamp = int(result["number"], 16), int(result["timestamp"], 16)
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(EVM_METHOD, "$.result", f"unreadable number or timestamp ({exc})") from None
    if timestamp <= 0:
        raise ParseError(EVM_METHOD, "$.result.timestamp", "not positive")
    return number, float(timestamp)


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, CounterMetricFamily]:
    chain_time = GaugeMetricFamily(
        "hyperliquid_chain_time",
        "The chain's clock as a liveness source last read it, in epoch seconds (source exchange_status: "
        "the info API's exchangeStatus time; evm: HyperEVM's latest block timestamp). Polled; absent "
        "while the source fails to answer.",
        labels=["source"],
        unit="seconds",
    )
    lag = GaugeMetricFamily(
        "hyperliquid_chain_time_lag",
        "How far the chain's clock trailed the exporter's when the source was read: a few seconds while "
        "the chain is live, growing while it is halted. Polled; absent while the source fails.",
        labels=["source"],
        unit="seconds",
    )
    failures = CounterMetricFamily(
        "hyperliquid_liveness_probe_failures",
        "Liveness reads that failed (no answer, an error status, an unreadable body), by source.",
        labels=["source"],
    )
    return chain_time, lag, failures


class _Source:
    """One liveness source: its failures counted, logged when they start and end."""

    source = ""

    def __init__(self, context: CollectorContext) -> None:
        self._context = context
        self.failures = 0
        self._failing = FailureTracker()

    def _failed(self, kind: str, message: str) -> None:
        self.failures += 1
        if self._failing.failed(kind):
            log.warning(
                "liveness source %s unavailable (%s); withdrawn until it answers", self.source, message
            )

    def _succeeded(self) -> None:
        if self._failing.succeeded():
            log.info("liveness source %s answers again", self.source)

    def _publish(self, chain_seconds: float | None) -> list[Metric]:
        chain_time, lag, failures = _families()
        if chain_seconds is not None:
            chain_time.add_metric([self.source], chain_seconds)
            lag.add_metric([self.source], max(0.0, self._context.clock() - chain_seconds))
        failures.add_metric([self.source], float(self.failures))
        return [chain_time, lag, failures]


class ExchangeStatusPoller(_Source):
    name = "liveness_exchange_status"
    collector = COLLECTOR
    source = SOURCE_EXCHANGE_STATUS

    def __init__(self, section: LivenessCollectorConfig, context: CollectorContext) -> None:
        super().__init__(context)
        self.interval = section.exchange_status_interval_seconds
        self.max_age = section.max_age(self.interval)
        self.planned_weight_per_minute = weight_per_minute(EXCHANGE_STATUS, self.interval)

    async def poll(self) -> Sequence[Metric]:
        try:
            raw = await self._context.client.info({"type": EXCHANGE_STATUS}, COLLECTOR)
            chain_seconds: float | None = parse_exchange_status(raw)
        except (UpstreamError, ParseError) as exc:
            if isinstance(exc, ParseError):
                self._context.count_malformed(EXCHANGE_STATUS)
            self._failed(*failure_kind(exc))
            chain_seconds = None
        else:
            self._succeeded()
        return self._publish(chain_seconds)


class EvmBlockPoller(_Source):
    name = "liveness_evm"
    collector = COLLECTOR
    source = SOURCE_EVM
    planned_weight_per_minute = 0.0  # not the info API

    def __init__(self, section: LivenessCollectorConfig, url: str, context: CollectorContext) -> None:
        super().__init__(context)
        self._url = url
        self.interval = section.interval_seconds
        self.max_age = section.max_age()

    async def poll(self) -> Sequence[Metric]:
        block = GaugeMetricFamily("hyperliquid_evm_block_number", "HyperEVM's latest block number (polled).")
        chain_seconds: float | None = None
        try:
            response = await self._context.http.post(self._url, json=EVM_REQUEST)
            response.raise_for_status()
            number, chain_seconds = parse_evm_block(response.json())
        except (httpx.HTTPError, ValueError, ParseError) as exc:
            self._failed(type(exc).__name__, redact_url(f"{type(exc).__name__}: {exc}")[:200])
        else:
            self._succeeded()
            block.add_metric([], float(number))
        return [*self._publish(chain_seconds), block]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    section = config.collectors.liveness
    if not section.enabled:
        return []
    out: list[Poller] = [ExchangeStatusPoller(section, context)]
    if section.evm_rpc_url is not None:
        out.append(EvmBlockPoller(section, section.evm_rpc_url, context))
    return out
