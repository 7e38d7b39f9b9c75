"""hyperliquid-backtest: the rules over an incident, as a report a desk can read."""
