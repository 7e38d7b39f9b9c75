"""Venue-wide faults: the chain halting (`chain-freeze`) and the API failing while the chain lives
(`api-errors`, the 29 Jul 2025 pattern), with the two liveness endpoints that tell them apart.

- `chain-freeze`: the chain's clock stops at the moment of the freeze. Every info answer (REST) is
  the state at that moment, `exchangeStatus` reports that moment's time, the HyperEVM's latest
  block stops, and the WebSocket connections stay open and answer pings but push nothing (no block,
  no update). When it ends, the chain resumes at the current scenario time.
- `api-errors`: of the info requests, `error_ratio` are answered 502 or 503 (alternately), and of
  the rest `slow_ratio` wait `slow_seconds` first. The chain, the HyperEVM and the streams live on.

Set by the scenario (`kind: venue` events) or by POST /_replay/venue
`{"fault": "chain-freeze" | "api-errors" | "none"}`: the admin's fault holds until `none`, which also
ends the scenario's venue faults active at that moment (tests use it to see alerts resolve).
The HyperEVM's block number is the scenario time in seconds (one block a second, as HyperEVM's
small blocks), from `EVM_FIRST_BLOCK` at scenario time 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.scenario import VenueEvent, VenueFaultName

VENUE_FAULTS = ("chain-freeze", "api-errors", "none")
EVM_FIRST_BLOCK = 9_000_000
SLOW = "slow"


class VenueFaultError(ValueError):
    pass


@dataclass
class Venue:
    clock: ScenarioClock
    scheduled: list[VenueEvent] = field(default_factory=list)
    seed: int = 0
    admin_fault: VenueFaultName | None = None
    admin_since: float = 0.0
    cleared_at: float | None = None  # scenario events that started before this are over
    _rng: random.Random = field(init=False)
    _alternate: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _active(self, now: float) -> list[tuple[VenueFaultName, float, VenueEvent | None]]:
        out: list[tuple[VenueFaultName, float, VenueEvent | None]] = []
        if self.admin_fault is not None:
            out.append((self.admin_fault, self.admin_since, None))
        for event in self.scheduled:
            end = event.at + event.duration if event.duration is not None else float("inf")
            if self.cleared_at is not None and event.at <= self.cleared_at:
                continue
            if event.at <= now < end:
                out.append((event.fault, event.at, event))
        return out

    def frozen_at(self, now: float | None = None) -> float | None:
        """The scenario time the chain stopped at, while it is frozen."""
        now = self.clock.now() if now is None else now
        starts = [since for name, since, _ in self._active(now) if name == "chain-freeze"]
        return min(starts) if starts else None

    def frozen(self) -> bool:
        return self.frozen_at() is not None

    def chain_time(self) -> float:
        """Scenario time as the chain sees it: stopped while frozen."""
        now = self.clock.now()
        frozen = self.frozen_at(now)
        return now if frozen is None else min(now, frozen)

    def api_outcome(self) -> int | str | None:
        """What `api-errors` does to one info request: a status, SLOW, or None (answered as usual)."""
        now = self.clock.now()
        for name, _, event in self._active(now):
            if name != "api-errors":
                continue
            error_ratio = event.error_ratio if event is not None else 0.8
            slow_ratio = event.slow_ratio if event is not None else 0.5
            if self._rng.random() < error_ratio:
                self._alternate += 1
                return 502 if self._alternate % 2 else 503
            if self._rng.random() < slow_ratio:
                return SLOW
            return None
        return None

    def slow_seconds(self) -> float:
        for name, _, event in self._active(self.clock.now()):
            if name == "api-errors" and event is not None:
                return event.slow_seconds
        return 4.0

    def apply(self, body: Any) -> None:
        if not isinstance(body, dict) or set(body) != {"fault"} or body["fault"] not in VENUE_FAULTS:
            raise VenueFaultError(f'expected {{"fault": one of {", ".join(VENUE_FAULTS)}}}')
        fault = body["fault"]
        self.admin_fault = None if fault == "none" else fault
        self.admin_since = self.clock.now()
        if fault == "none":
            self.cleared_at = self.admin_since

    def status(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "faults": sorted({name for name, _, _ in self._active(now)}),
            "frozen_at_seconds": self.frozen_at(now),
            "chain_time_ms": self.clock.wall_ms(self.chain_time()),
        }

    # -- the liveness endpoints ------------------------------------------------------------
    def exchange_status(self) -> dict[str, Any]:
        return {"time": self.clock.wall_ms(self.chain_time()), "specialStatuses": None}

    def evm_block(self) -> dict[str, Any]:
        chain = self.chain_time()
        number = EVM_FIRST_BLOCK + max(0, int(chain))
        # The block's time is when that whole second of scenario time began.
        timestamp = self.clock.wall_ms(float(int(chain))) // 1000
        return {
            "number": hex(number),
            "hash": f"0x{number:064x}",
            "parentHash": f"0x{number - 1:064x}",
            "timestamp": hex(timestamp),
            "transactions": [],
        }
