"""Hyperliquid risk exporter, alert relay and replay simulator."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hyperliquid-exporter")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
