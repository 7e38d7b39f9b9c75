"""Start real servers on 127.0.0.1 with free ports (moved to exporter.backtest.processes for the
installed `hyperliquid-backtest`; kept here for the tests that import it)."""

from exporter.backtest.processes import free_port, running, wait_http_ok

__all__ = ["free_port", "running", "wait_http_ok"]
