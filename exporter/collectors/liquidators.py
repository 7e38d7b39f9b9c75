"""Which accounts are HLP liquidators: the configured list plus children discovered by name.

Shared by the account pollers (which poll liquidators first and label them `hlp_liquidator`) and
the fills poller (which follows every liquidator's fills). Discovery reads each HLP child's
`vaultDetails` name ("HLP Liquidator 2"); the configured list is an override that always counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_LIQUIDATOR_NAME = re.compile(r"\bliquidator\b", re.IGNORECASE)


def is_liquidator_name(name: str) -> bool:
    return bool(_LIQUIDATOR_NAME.search(name))


class LiquidatorRoles:
    def __init__(self, configured: Iterable[str] = ()) -> None:
        self.configured: tuple[str, ...] = ()
        self._discovered: dict[str, str] = {}  # address -> vault name
        self.configure(configured)

    def configure(self, configured: Iterable[str]) -> None:
        """The configured override list (from config.yaml); the same list may be given twice."""
        self.configured = tuple(dict.fromkeys((*self.configured, *configured)))

    def discovered(self, address: str, name: str) -> None:
        self._discovered[address] = name

    def name_of(self, address: str) -> str | None:
        return self._discovered.get(address)

    def addresses(self) -> tuple[str, ...]:
        """Configured first (in their order), then discovered ones in discovery order."""
        return tuple(dict.fromkeys((*self.configured, *self._discovered)))

    def __contains__(self, address: object) -> bool:
        return address in self.configured or address in self._discovered
