"""What each WebSocket subscription pushes, from the scenario timeline, in the real message shapes.

- `userFills`: first a snapshot (`isSnapshot: true`, the user's most recent fills), then the new
  fills as scenario time passes. A burst larger than `FILLS_PER_MESSAGE` arrives over several
  messages, so a connection can be lost in the middle of one.
- `clearinghouseState` (`{dex, user, clearinghouseState}`) and `webData2` (`{user,
  clearinghouseState, ...}`): the account's state, pushed at once when positions change and at
  least every `STATE_PERIOD` seconds.
- `assetCtxs` (`{dex, ctxs}` in universe order; `dex` "" or a builder dex of the scenario),
  `activeAssetCtx` (`{coin, ctx}`) and `l2Book` (`{coin, time, levels}`, the REST answer's shape, as
  the SDKs' WsBook): every `MARKET_PERIOD` seconds. A builder dex pushes only while
  it is listed (`perpDexs`), from the same timeline as its REST `metaAndAssetCtxs`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from exporter.replay.clock import ScenarioClock
from exporter.replay.info_accounts import AccountBodies
from exporter.replay.info_market import MarketBodies
from exporter.replay.timeline import Timeline

Json = Any
SNAPSHOT_FILLS = 2000
FILLS_PER_MESSAGE = 500
STATE_PERIOD = 1.0  # wall seconds
MARKET_PERIOD = 1.0


class SubscriptionError(ValueError):
    """A subscription the simulator does not serve; the text goes into an error message."""


class Pushes(Protocol):
    @property
    def user(self) -> str | None:
        """The user this subscription counts against the per-IP quota, if any."""

    def messages(self, now: float, wall: float) -> list[Json]:
        """Messages due at scenario time `now` (wall clock `wall`); the first call gives the snapshot."""


class Bodies:
    def __init__(self, timeline: Timeline, clock: ScenarioClock) -> None:
        self.timeline = timeline
        self.clock = clock
        self.accounts = AccountBodies(timeline, clock)
        self.market = MarketBodies(timeline.market, clock)


class UserFillsPushes:
    def __init__(self, bodies: Bodies, user: str) -> None:
        self.user = user
        self._bodies = bodies
        track = bodies.timeline.account(user)
        self._fills = track.fills if track is not None else []
        self._sent: int | None = None

    def _due(self, now: float) -> int:
        index = self._sent or 0
        while index < len(self._fills) and self._fills[index].time <= now:
            index += 1
        return index

    def _body(self, index: int) -> Json:
        # The REST bodies' builder: the same fill looks the same on both paths.
        return self._bodies.accounts._fill_body(self._fills[index])

    def messages(self, now: float, wall: float) -> list[Json]:
        due = self._due(now)
        if self._sent is None:
            self._sent = due
            recent = [self._body(i) for i in range(max(0, due - SNAPSHOT_FILLS), due)]
            return [
                {"channel": "userFills", "data": {"isSnapshot": True, "user": self.user, "fills": recent}}
            ]
        out = []
        for start in range(self._sent, due, FILLS_PER_MESSAGE):
            chunk = [self._body(i) for i in range(start, min(due, start + FILLS_PER_MESSAGE))]
            out.append({"channel": "userFills", "data": {"user": self.user, "fills": chunk}})
        self._sent = due
        return out


class AccountStatePushes:
    def __init__(self, bodies: Bodies, user: str, channel: str) -> None:
        self.user = user
        self._bodies = bodies
        self._channel = channel
        self._last_positions: str | None = None
        self._last_wall = 0.0

    def messages(self, now: float, wall: float) -> list[Json]:
        state = self._bodies.accounts.clearinghouse_state(self.user, now)
        positions = json.dumps(state["assetPositions"], sort_keys=True)
        if positions == self._last_positions and wall - self._last_wall < STATE_PERIOD:
            return []
        self._last_positions, self._last_wall = positions, wall
        if self._channel == "webData2":
            data = {
                "user": self.user,
                "clearinghouseState": state,
                "openOrders": [],
                "totalVaultEquity": "0.0",
            }
        else:
            data = {"dex": "", "user": self.user, "clearinghouseState": state}
        return [{"channel": self._channel, "data": data}]


class AssetCtxsPushes:
    def __init__(self, bodies: Bodies, dex: str = "") -> None:
        self.user: str | None = None
        self._bodies = bodies
        self._dex = dex
        self._last_wall: float | None = None

    def messages(self, now: float, wall: float) -> list[Json]:
        if self._last_wall is not None and wall - self._last_wall < MARKET_PERIOD:
            return []
        self._last_wall = wall
        market = self._bodies.timeline.market
        spec = market.dex(self._dex) if self._dex else None
        if spec is not None and not market.dex_listed(spec, now):
            return []
        ctxs = self._bodies.market.meta_and_asset_ctxs(now, self._dex)[1]
        return [{"channel": "assetCtxs", "data": {"dex": self._dex, "ctxs": ctxs}}]


class _CoinPushes:
    """A per-coin market push, at most once every `MARKET_PERIOD` wall seconds."""

    def __init__(self, bodies: Bodies, coin: str) -> None:
        self.user: str | None = None
        if coin not in bodies.timeline.market.by_name:
            raise SubscriptionError(f"unknown coin {coin[:40]!r}")
        self._bodies = bodies
        self._coin = coin
        self._last_wall: float | None = None

    def _due(self, wall: float) -> bool:
        if self._last_wall is not None and wall - self._last_wall < MARKET_PERIOD:
            return False
        self._last_wall = wall
        return True


class ActiveAssetCtxPushes(_CoinPushes):
    def messages(self, now: float, wall: float) -> list[Json]:
        if not self._due(wall):
            return []
        meta, ctxs = self._bodies.market.meta_and_asset_ctxs(now)
        names = [entry["name"] for entry in meta["universe"]]
        ctx = ctxs[names.index(self._coin)]
        return [{"channel": "activeAssetCtx", "data": {"coin": self._coin, "ctx": ctx}}]


class L2BookPushes(_CoinPushes):
    def messages(self, now: float, wall: float) -> list[Json]:
        if not self._due(wall):
            return []
        book = self._bodies.market.l2_book(now, self._coin)
        return [] if book is None else [{"channel": "l2Book", "data": book}]


def _user(subscription: dict[str, Any]) -> str:
    user = subscription.get("user")
    if not isinstance(user, str) or not user.startswith("0x") or len(user) != 42:
        raise SubscriptionError("user must be a 0x address")
    return user.lower()


def pushes_for(bodies: Bodies, subscription: Any) -> Pushes:
    if not isinstance(subscription, dict):
        raise SubscriptionError("subscription must be an object")
    kind = subscription.get("type")
    if kind == "userFills":
        return UserFillsPushes(bodies, _user(subscription))
    if kind in ("clearinghouseState", "webData2"):
        return AccountStatePushes(bodies, _user(subscription), kind)
    if kind == "assetCtxs":
        dex = subscription.get("dex", "")
        if not isinstance(dex, str) or (dex and bodies.timeline.market.dex(dex) is None):
            raise SubscriptionError("unknown dex")
        return AssetCtxsPushes(bodies, dex)
    if kind == "activeAssetCtx":
        coin = subscription.get("coin")
        if not isinstance(coin, str):
            raise SubscriptionError("coin must be a string")
        return ActiveAssetCtxPushes(bodies, coin)
    if kind == "l2Book":
        coin = subscription.get("coin")
        if not isinstance(coin, str):
            raise SubscriptionError("coin must be a string")
        return L2BookPushes(bodies, coin)
    raise SubscriptionError(f"unsupported subscription type {str(kind)[:40]!r}")
