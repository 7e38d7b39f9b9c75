"""Alertmanager configuration for the Hyperliquid alerts, and the start-up step that fills in its secrets."""
