"""Fault injection for tests: latency, 5xx errors, malformed bodies, exchanges going down, rate
limiting with a Retry-After, bodies dripped byte by byte and responses that never end.

A fault has a target: `info` (every Hyperliquid request), `info:<type>` (one request type),
an exchange name (`binance`, `okx`, `bybit`, `kraken`, `kucoin`, `gate`, `mexc`, `coinbase`), a perp
venue's tickers (`binance_perp`, `okx_perp`, `bybit_perp`, `gate_perp`, `mexc_perp`), `exchanges` (all
of them, perps included) or `*`.
"""

from __future__ import annotations

import random
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FaultKind = Literal["latency", "error", "malformed", "down", "rate_limit", "drip", "hang"]
_TARGET = re.compile(
    r"^(\*|info|info:[A-Za-z]+|exchanges|binance|okx|bybit|kraken|kucoin|gate|mexc|coinbase"
    r"|binance_perp|okx_perp|bybit_perp|gate_perp|mexc_perp)$"
)
_FLAG = re.compile(
    r"^(?P<target>[^:=@]+(?::[A-Za-z]+)?):(?P<kind>[a-z_]+)(?:=(?P<value>[0-9.]+))?(?:@(?P<p>[0-9.]+))?$"
)


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    target: Annotated[str, Field(pattern=_TARGET.pattern)]
    kind: FaultKind
    seconds: Annotated[float, Field(ge=0, le=300)] = 0.0  # latency; drip: pause between bytes
    status: Annotated[int, Field(ge=400, le=599)] = 503  # error and down
    retry_after: Annotated[float, Field(ge=0, le=10_000_000)] = 0.0  # rate_limit: Retry-After header
    probability: Annotated[float, Field(ge=0, le=1)] = 1.0

    def matches(self, request_target: str) -> bool:
        """`request_target` is `info:<type>` or an exchange name."""
        if self.target == "*":
            return True
        if self.target == "info":
            return request_target.startswith("info:")
        if self.target == "exchanges":
            return not request_target.startswith("info:")
        return self.target == request_target


class FaultError(ValueError):
    pass


def parse_fault_flag(text: str) -> Fault:
    """`TARGET:KIND[=VALUE][@PROBABILITY]`: `info:latency=0.5`, `binance:down=451`, `info:error=503@0.2`,
    `info:rate_limit=100000` (Retry-After), `info:drip=1` (seconds per byte), `info:hang`."""
    match = _FLAG.match(text)
    if match is None:
        raise FaultError(f"invalid --fault {text!r}: expected TARGET:KIND[=VALUE][@PROBABILITY]")
    fields: dict[str, object] = {"target": match["target"], "kind": match["kind"]}
    if match["value"] is not None:
        value = float(match["value"])
        if match["kind"] in ("latency", "drip"):
            fields["seconds"] = value
        elif match["kind"] == "rate_limit":
            fields["retry_after"] = value
        else:
            fields["status"] = int(value)
    if match["p"] is not None:
        fields["probability"] = float(match["p"])
    try:
        return Fault.model_validate(fields)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise FaultError(f"invalid --fault {text!r}: {details}") from None


class FaultSet:
    """The faults active in this run; replaced as a whole through POST /_replay/faults."""

    def __init__(self, faults: list[Fault] | None = None, seed: int = 0) -> None:
        self.faults: list[Fault] = list(faults or [])
        self._rng = random.Random(seed)

    def replace(self, faults: list[Fault]) -> None:
        self.faults = list(faults)

    def triggered(self, request_target: str, scheduled: list[Fault] | None = None) -> list[Fault]:
        """Faults that hit this request: the run's own plus those the scenario schedules for now."""
        return [
            fault
            for fault in self.faults + (scheduled or [])
            if fault.matches(request_target)
            and (fault.probability >= 1 or self._rng.random() < fault.probability)
        ]
