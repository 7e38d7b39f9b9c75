"""The coins listed on Hyperliquid's main dex, as the market poller last saw them.

The market poller writes; pollers that need the coin list (open-interest cap, reference prices)
read. Data flows one way: the readers never call back into the market poller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from exporter.hyperliquid.errors import UpstreamError


class UniverseUnavailable(UpstreamError):
    """The market poller has not yet returned a universe: the coin list is unknown."""

    def __init__(self) -> None:
        super().__init__(
            "universe_unavailable", "no listed coins known: the market poller has not succeeded yet"
        )


class SharedCoinList:
    """A coin list that one poller publishes and other pollers read or wait for."""

    def __init__(self) -> None:
        self._coins: tuple[str, ...] | None = None
        self._attempted = asyncio.Event()

    def publish(self, coins: Iterable[str]) -> None:
        self._coins = tuple(coins)
        self._attempted.set()

    def mark_attempted(self) -> None:
        """The market poller's first attempt is over (it may have failed)."""
        self._attempted.set()

    @property
    def coins(self) -> tuple[str, ...] | None:
        """Listed coins in universe order, or None before the first successful market poll."""
        return self._coins

    async def wait(self, seconds: float) -> tuple[str, ...]:
        """The listed coins, waiting up to `seconds` for the market poller's first attempt to end.

        At start-up this orders dependent pollers after the first market poll without holding
        readiness hostage: if that poll failed, they fail at once too.
        """
        if self._coins is None:
            try:
                await asyncio.wait_for(self._attempted.wait(), seconds)
            except TimeoutError:
                raise UniverseUnavailable() from None
        if self._coins is None:
            raise UniverseUnavailable()
        return self._coins
