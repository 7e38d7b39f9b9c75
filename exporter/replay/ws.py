"""The simulator's `/ws`: Hyperliquid's WebSocket API over the scenario timeline, with faults.

Protocol as the real API speaks it: a first text frame `Websocket connection established.`;
`{"method":"subscribe","subscription":{...}}` acknowledged on channel `subscriptionResponse` and
followed by the subscription's snapshot where the API sends one; `{"method":"ping"}` answered on
channel `pong`; problems reported on channel `error`. At most `max_users` (10) unique users across
the user-specific subscriptions of one client IP: a subscription for an eleventh is refused with an
error message (the wording is the simulator's).

Faults, set with POST /_replay/ws (see `apply_fault`): `drop` closes the open connections (at once,
or after N more fill updates, e.g. in the middle of a burst), `stall` makes the open connections
silent (no data, no pong: only a client-side heartbeat notices), `malformed` sends one frame that
is not JSON on each open connection, `ws-hostile-frame` sends each open connection one frame of
`[` nested 100,000 deep (valid-looking JSON that overflows a recursive parser), `ack-rewrite` echoes
every later acknowledgement the way the live server is reported to (`userFills` gaining
`"aggregateByTime": false`, an empty `"dex"` dropped, keys reordered) until `{"fault": "none"}`.
While the chain is frozen (`chain-freeze`, exporter.replay.venue) the connections stay open and
answer pings but push nothing: a halted chain makes no blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from exporter.replay.clock import ScenarioClock
from exporter.replay.timeline import Timeline
from exporter.replay.ws_feeds import Bodies, Pushes, SubscriptionError, pushes_for

ESTABLISHED = "Websocket connection established."
PUSH_PERIOD = 0.1  # wall seconds between push rounds
MALFORMED_FRAME = '{"channel":"userFills","data":{"user":'
HOSTILE_FRAME = "[" * 100_000
WS_FAULTS = ("drop", "stall", "malformed", "ws-hostile-frame", "ack-rewrite", "none")


def rewritten_ack(subscription: Any) -> Any:
    """A subscription as the live server is reported to echo it: `userFills` gains
    `"aggregateByTime": false`, an empty `dex` is dropped, keys come back in another order."""
    if not isinstance(subscription, dict):
        return subscription
    out = {key: value for key, value in subscription.items() if not (key == "dex" and value == "")}
    if out.get("type") == "userFills":
        out.setdefault("aggregateByTime", False)
    return dict(reversed(list(out.items())))


@dataclass(eq=False)
class WsConnection:
    client: str
    subscriptions: dict[str, Pushes] = field(default_factory=dict)
    users: Counter[str] = field(default_factory=Counter)
    stalled: bool = False
    malformed_next: bool = False
    hostile_next: bool = False
    drop: bool = False


class WsFaultError(ValueError):
    pass


@dataclass
class WsHub:
    """State shared by every `/ws` connection: the per-IP user quota, faults and counts."""

    max_users: int = 10
    connections: list[WsConnection] = field(default_factory=list)
    users: dict[str, Counter[str]] = field(default_factory=dict)
    peak_users: int = 0
    refused: int = 0
    opened: int = 0
    fill_updates: int = 0
    drop_after_fill_updates: int | None = None
    drop_user: str | None = None  # count only this user's fill updates towards the drop
    rewrite_acks: bool = False
    frozen: Callable[[], bool] | None = None  # the chain is frozen now (no pushes); set by the app

    def admit(self, connection: WsConnection, user: str) -> bool:
        tracked = self.users.setdefault(connection.client, Counter())
        if user not in tracked and len(tracked) >= self.max_users:
            self.refused += 1
            return False
        tracked[user] += 1
        connection.users[user] += 1
        self.peak_users = max(self.peak_users, len(tracked))
        return True

    def release(self, connection: WsConnection, user: str) -> None:
        tracked = self.users.get(connection.client, Counter())
        for counter in (tracked, connection.users):
            counter[user] -= 1
            if counter[user] <= 0:
                del counter[user]

    def close(self, connection: WsConnection) -> None:
        for user, count in list(connection.users.items()):
            for _ in range(count):
                self.release(connection, user)
        if connection in self.connections:
            self.connections.remove(connection)

    def count_fill_update(self, user: str) -> bool:
        """Count one pushed fill update; True when a scheduled drop is due now."""
        self.fill_updates += 1
        if self.drop_after_fill_updates is None or self.drop_user not in (None, user):
            return False
        self.drop_after_fill_updates -= 1
        if self.drop_after_fill_updates > 0:
            return False
        self.drop_after_fill_updates = None
        return True

    def apply_fault(self, body: Any) -> None:
        """`{"fault": "drop"|"stall"|"malformed"|"ws-hostile-frame"|"ack-rewrite"|"none"}`; drop
        optionally with `"after_fill_updates": N` (and `"user": "0x..."` to count only that user's
        updates), to drop in the middle of a burst. `none` ends ack-rewrite."""
        if not isinstance(body, dict) or not isinstance(body.get("fault"), str):
            raise WsFaultError(f'expected {{"fault": one of {", ".join(WS_FAULTS)}}}')
        kind = body["fault"]
        extra = set(body) - {"fault", "after_fill_updates", "user"}
        if extra:
            raise WsFaultError(f"unknown key(s): {', '.join(sorted(extra))}")
        after = body.get("after_fill_updates")
        if after is not None and (kind != "drop" or not isinstance(after, int) or after < 1):
            raise WsFaultError("after_fill_updates: a positive integer, with fault drop only")
        user = body.get("user")
        if user is not None and (after is None or not isinstance(user, str)):
            raise WsFaultError("user: an address, with after_fill_updates only")
        if kind == "drop" and after is not None:
            self.drop_after_fill_updates = after
            self.drop_user = user.lower() if user is not None else None
        elif kind in ("drop", "stall", "malformed", "ws-hostile-frame"):
            for connection in self.connections:
                connection.drop |= kind == "drop"
                connection.stalled |= kind == "stall"
                connection.malformed_next |= kind == "malformed"
                connection.hostile_next |= kind == "ws-hostile-frame"
        elif kind in ("ack-rewrite", "none"):
            self.rewrite_acks = kind == "ack-rewrite"
        else:
            raise WsFaultError(f"unknown fault {kind[:40]!r}: {', '.join(WS_FAULTS)}")

    def status(self) -> dict[str, Any]:
        return {
            "connections": len(self.connections),
            "opened": self.opened,
            "max_users": self.max_users,
            "users": {client: sorted(users) for client, users in self.users.items()},
            "peak_users": self.peak_users,
            "refused": self.refused,
            "fill_updates": self.fill_updates,
            "subscriptions": sum(len(c.subscriptions) for c in self.connections),
            "stalled": sum(1 for c in self.connections if c.stalled),
            "rewrite_acks": self.rewrite_acks,
        }

    def is_frozen(self) -> bool:
        return self.frozen is not None and self.frozen()

    def ack(self, request: dict[str, Any]) -> dict[str, Any]:
        if not self.rewrite_acks:
            return request
        return {**request, "subscription": rewritten_ack(request.get("subscription"))}


def _key(subscription: Any) -> str:
    return json.dumps(subscription, sort_keys=True)


class WsSession:
    def __init__(self, websocket: WebSocket, hub: WsHub, bodies: Bodies, clock: ScenarioClock) -> None:
        self._ws = websocket
        self._hub = hub
        self._bodies = bodies
        self._clock = clock
        client = websocket.client.host if websocket.client is not None else "unknown"
        self.connection = WsConnection(client)
        self._lock = asyncio.Lock()

    async def _send(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        async with self._lock:
            await self._ws.send_text(text)

    async def _error(self, text: str) -> None:
        await self._send({"channel": "error", "data": text})

    async def _push(self, pushes: Pushes) -> bool:
        """Send what is due; False once the connection is to be dropped."""
        for message in pushes.messages(self._clock.now(), time.monotonic()):
            await self._send(message)
            data = message["data"]
            update = message["channel"] == "userFills" and not data.get("isSnapshot")
            if update and self._hub.count_fill_update(data["user"]):
                return False
        return True

    async def _request(self, text: str) -> bool:
        if self.connection.stalled:
            return True
        try:
            request = json.loads(text)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError:
            await self._error(f"Error parsing JSON into valid websocket request: {text[:200]}")
            return True
        method = request.get("method")
        if method == "ping":
            await self._send({"channel": "pong"})
            return True
        subscription = request.get("subscription")
        if method not in ("subscribe", "unsubscribe"):
            await self._error(f"Error parsing JSON into valid websocket request: {text[:200]}")
            return True
        key = _key(subscription)
        if method == "unsubscribe":
            pushes = self.connection.subscriptions.pop(key, None)
            if pushes is not None and pushes.user is not None:
                self._hub.release(self.connection, pushes.user)
            await self._send({"channel": "subscriptionResponse", "data": self._hub.ack(request)})
            return True
        if key in self.connection.subscriptions:
            await self._error(f"Already subscribed: {key[:200]}")
            return True
        try:
            pushes = pushes_for(self._bodies, subscription)
        except SubscriptionError as exc:
            await self._error(f"Invalid subscription {key[:200]}: {exc}")
            return True
        if pushes.user is not None and not self._hub.admit(self.connection, pushes.user):
            await self._error(f"Cannot track more than {self._hub.max_users} total users.")
            return True
        self.connection.subscriptions[key] = pushes
        await self._send({"channel": "subscriptionResponse", "data": self._hub.ack(request)})
        if self._hub.is_frozen():
            return True
        return await self._push(pushes)

    async def _read(self) -> None:
        while True:
            if not await self._request(await self._ws.receive_text()):
                return

    async def _pushes(self) -> None:
        while True:
            await asyncio.sleep(PUSH_PERIOD)
            connection = self.connection
            if connection.drop:
                return
            if connection.stalled:
                continue
            if connection.malformed_next:
                connection.malformed_next = False
                await self._send(MALFORMED_FRAME)
            if connection.hostile_next:
                connection.hostile_next = False
                await self._send(HOSTILE_FRAME)
            if self._hub.is_frozen():
                continue
            for pushes in list(connection.subscriptions.values()):
                if not await self._push(pushes):
                    return

    async def run(self) -> None:
        await self._ws.accept()
        self._hub.opened += 1
        self._hub.connections.append(self.connection)
        tasks: list[asyncio.Task[None]] = []
        try:
            await self._send(ESTABLISHED)
            tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._pushes())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._hub.close(self.connection)
            with contextlib.suppress(Exception):
                await self._ws.close(code=1012)


def ws_endpoint(hub: WsHub, timeline: Timeline, clock: ScenarioClock) -> Any:
    bodies = Bodies(timeline, clock)

    async def endpoint(websocket: WebSocket) -> None:
        await WsSession(websocket, hub, bodies, clock).run()

    return endpoint
