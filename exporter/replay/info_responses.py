"""`POST /info`: validate the request the way the real API does and pick the body builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.info_accounts import AccountBodies
from exporter.replay.info_governance import GovernanceBodies
from exporter.replay.info_market import MarketBodies
from exporter.replay.info_vaults import VaultBodies
from exporter.replay.timeline import Timeline

Json = Any


class InfoRequestError(Exception):
    """The real API answers 422 with this text for an unknown type or a body it cannot deserialize."""

    body = "Failed to deserialize the JSON body into the target type"


@dataclass(frozen=True)
class InfoAnswer:
    body: Json
    items: int  # elements returned, for the per-item weight surcharge


class InfoResponder:
    def __init__(
        self, timeline: Timeline, clock: ScenarioClock, now: Callable[[], float] | None = None
    ) -> None:
        self._clock = clock
        # The chain's time (stopped while the chain is frozen); the scenario clock's by default.
        self._now = now or clock.now
        self._timeline = timeline
        self._market = MarketBodies(timeline.market, clock)
        self._accounts = AccountBodies(timeline, clock)
        self._vaults = VaultBodies(timeline, clock)
        self._governance = GovernanceBodies(timeline.governance, clock)

    def answer(self, request: dict[str, Any]) -> InfoAnswer:
        kind = request.get("type")
        now = self._now()
        if kind == "meta":
            return InfoAnswer(self._market.meta(now, self._dex(request)), 0)
        if kind == "metaAndAssetCtxs":
            return InfoAnswer(self._market.meta_and_asset_ctxs(now, self._dex(request)), 0)
        if kind == "allMids":
            return InfoAnswer(self._market.all_mids(now, self._dex(request)), 0)
        if kind == "perpsAtOpenInterestCap":
            return InfoAnswer(self._market.perps_at_open_interest_cap(now, self._dex(request)), 0)
        if kind == "perpDexs":
            return InfoAnswer(self._market.perp_dexs(now), 0)
        if kind == "perpDexStatus":
            # An unknown dex is answered with null here, as the real API does.
            return InfoAnswer(self._market.perp_dex_status(now, self._dex(request, known=False)), 0)
        if kind == "perpDexLimits":
            return InfoAnswer(self._market.perp_dex_limits(now, self._dex(request, known=False)), 0)
        if kind == "l2Book":
            coin = request.get("coin")
            if not isinstance(coin, str):
                raise InfoRequestError("l2Book needs a coin")
            return InfoAnswer(self._market.l2_book(now, coin), 0)
        if kind == "spotMetaAndAssetCtxs":
            return InfoAnswer(self._market.spot_meta_and_asset_ctxs(now), 0)
        if kind == "predictedFundings":
            return InfoAnswer(self._market.predicted_fundings(now), 0)
        if kind == "clearinghouseState":
            user = _address(request, "user")
            return InfoAnswer(self._accounts.clearinghouse_state(user, now, self._dex(request)), 0)
        if kind == "validatorL1Votes":
            votes = self._governance.validator_l1_votes(now)
            return InfoAnswer(votes, len(votes))
        if kind == "validatorSummaries":
            return InfoAnswer(self._governance.validator_summaries(now), 0)
        if kind == "delegatorSummary":
            return InfoAnswer(self._governance.delegator_summary(_address(request, "user")), 0)
        if kind == "spotClearinghouseState":
            user = _address(request, "user")
            return InfoAnswer(self._governance.spot_clearinghouse_state(user, now), 0)
        if kind == "vaultDetails":
            return InfoAnswer(self._vaults.vault_details(_address(request, "vaultAddress"), now), 0)
        if kind == "portfolio":
            return InfoAnswer(self._vaults.portfolio(_address(request, "user"), now), 0)
        if kind == "userFills":
            fills = self._accounts.fills(_address(request, "user"), now, None, None)
            return InfoAnswer(fills, len(fills))
        if kind == "userFillsByTime":
            start = _integer(request, "startTime", required=True)
            end = _integer(request, "endTime", required=False)
            fills = self._accounts.fills(_address(request, "user"), now, start, end)
            return InfoAnswer(fills, len(fills))
        raise InfoRequestError(f"unsupported request type {kind!r}")

    def _dex(self, request: dict[str, Any], known: bool = True) -> str:
        """The `dex` field: absent or "" is the first dex; with `known`, an unlisted dex is refused."""
        value = request.get("dex", "")
        if not isinstance(value, str):
            raise InfoRequestError("dex must be a string")
        if known and value and self._timeline.market.dex(value) is None:
            raise InfoRequestError(f"unknown dex {value[:20]!r}")
        return value


def _address(request: dict[str, Any], key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
        raise InfoRequestError(f"{key} must be a 0x address")
    return value.lower()


def _integer(request: dict[str, Any], key: str, required: bool) -> int | None:
    value = request.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InfoRequestError(f"{key} must be an integer number of milliseconds")
    return value
