"""Node mode end to end: the simulator writes the 10 Oct 2025 cascade's fills as a node's files, the
exporter reads them, and the venue-wide ADL critical reaches chat; the node's clock reaches Prometheus.

Five times faster than real time (rules and timers scaled, as in tests/e2e/test_scenarios.py), so the
stack is up well before the first ADL burst even on a busy machine. The delay
from the block written to chat is measured by benchmarks/node_cascade_latency.py, not asserted here.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.stack import StackOptions, running_stack, wait_until


def test_the_cascade_in_node_mode_delivers_the_venue_adl_critical(tmp_path: Path) -> None:
    options = StackOptions(scenario="cascade-2025-10-10", speed=5.0, rate_limit=False, node_mode=True)
    with running_stack(options, tmp_path) as stack:

        def venue_adl_messages() -> list[str]:
            return [
                text for text in stack.telegram_texts() if "on the venue" in text and "FIRING" in text.upper()
            ]

        texts = wait_until(venue_adl_messages, timeout=180, what="the venue-wide ADL critical in Telegram")
        assert any("auto-deleveraging" in text for text in texts)
        heights = stack.query("hyperliquid_node_block_height")
        assert heights
        assert float(heights[0]["value"][1]) > 0
        adl = stack.query('sum(hyperliquid_venue_auto_deleverages_total{job="hyperliquid"})')
        assert float(adl[0]["value"][1]) > 0
        firing = {alert["labels"]["alertname"] for alert in stack.firing_alerts()}
        assert not firing & {"HyperliquidNodeStalled", "HyperliquidNodeChainHalted", "HyperliquidNodeLagging"}
