"""Compressed rule time (moved to exporter.backtest.timescale for the installed `hyperliquid-backtest`)."""

from exporter.backtest.timescale import (
    duration_ms,
    scale_expr,
    scale_rule_groups,
    scaled,
    write_scaled_rules,
)

__all__ = ["duration_ms", "scale_expr", "scale_rule_groups", "scaled", "write_scaled_rules"]
