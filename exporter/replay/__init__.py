"""Replay simulator: serves the Hyperliquid info API and reference-exchange prices from scenario files."""
