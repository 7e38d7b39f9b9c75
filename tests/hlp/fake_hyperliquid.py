"""A loopback Hyperliquid info server holding scripted state, and builders for its JSON shapes.

`userFillsByTime` behaves like the real endpoint: fills with `startTime <= time (<= endTime)`,
oldest first, at most `page_limit` per answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from exporter.config import Config
from tests.support.binaries import FIXTURES_DIR
from tests.support.processes import free_port

RECORDED = FIXTURES_DIR / "hyperliquid-recorded"
HLP = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
LIQUIDATORS = (
    "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14",
    "0xb0a55f13d22f66e6d495ac98113841b2326e9540",
    "0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70",
    "0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308",
)
STRATEGIES = (
    "0x010461c14e146ac35fe42271bdc1134ee31c703a",
    "0x31ca8395cf837de08b24da3f660e77761dfb974b",
    "0x469f690213c467c39a23efacfd2816896009d7d8",
)


def recorded(name: str) -> Any:
    return json.loads(Path(RECORDED / name).read_text())["response"]


def address(n: int) -> str:
    return f"0x{n:040x}"


def position(
    coin: str, size: float, mark: float, upnl: float, liquidation: float | None, margin: str = "cross"
) -> dict[str, Any]:
    return {
        "type": "oneWay",
        "position": {
            "coin": coin,
            "szi": repr(size),
            "entryPx": repr(mark),
            "leverage": {"type": margin, "value": 10},
            "liquidationPx": None if liquidation is None else repr(liquidation),
            "marginUsed": repr(abs(size * mark) / 10),
            "maxLeverage": 50,
            "positionValue": repr(abs(size * mark)),
            "returnOnEquity": "0.0",
            "unrealizedPnl": repr(upnl),
            "cumFunding": {"allTime": "1.0", "sinceOpen": "0.0", "sinceChange": "0.0"},
        },
    }


def clearinghouse(account_value: float, positions: list[dict[str, Any]]) -> dict[str, Any]:
    summary = {
        "accountValue": repr(account_value),
        "totalMarginUsed": "0.0",
        "totalNtlPos": "0.0",
        "totalRawUsd": repr(account_value),
    }
    return {
        "assetPositions": positions,
        "crossMaintenanceMarginUsed": repr(account_value / 20),
        "crossMarginSummary": summary,
        "marginSummary": summary,
        "withdrawable": repr(account_value),
        "time": 1_760_000_000_000,
    }


def vault_details(
    vault: str, name: str, children: list[str], portfolio: list[Any] | None = None
) -> dict[str, Any]:
    """The documented vaultDetails shape (floats where the docs say floats)."""
    return {
        "name": name,
        "vaultAddress": vault,
        "leader": "0x677d831aef5328190852e24f13c46cac05f984e7",
        "description": "This community-owned vault provides liquidity to Hyperliquid.",
        "portfolio": portfolio if portfolio is not None else recorded("test_portfolio.json"),
        "apr": 0.36387129259090006,
        "followerState": None,
        "leaderFraction": 0.0007904828725729887,
        "leaderCommission": 0,
        "followers": [
            {
                "user": "Leader",
                "vaultEquity": "714491.71026243",
                "pnl": "3203.43026143",
                "allTimePnl": "79843.74476743",
                "daysFollowing": 388,
                "vaultEntryTime": 1700926145201,
                "lockupUntil": 1734824439201,
            }
        ],
        "maxDistributable": 94856870.164485,
        "maxWithdrawable": 742557.680863,
        "isClosed": False,
        "relationship": {"type": "parent", "data": {"childAddresses": children}},
        "allowDeposits": True,
        "alwaysCloseOnWithdraw": False,
    }


def fill(
    coin: str,
    px: float,
    sz: float,
    time_ms: int,
    tid: int | None,
    direction: str = "Open Long",
    liquidation: dict[str, Any] | None = None,
    fill_hash: str = "0x" + "ab" * 32,
    oid: int = 1,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "coin": coin,
        "px": repr(px),
        "sz": repr(sz),
        "side": "B",
        "time": time_ms,
        "startPosition": "0.0",
        "dir": direction,
        "closedPnl": "0.0",
        "hash": fill_hash,
        "oid": oid,
        "crossed": True,
        "fee": "0.0",
        "feeToken": "USDC",
        "twapId": None,
    }
    if tid is not None:
        out["tid"] = tid
    if liquidation is not None:
        out["liquidation"] = liquidation
    return out


def meta(coins: list[str], delisted: tuple[str, ...] = ()) -> dict[str, Any]:
    universe = [{"name": c, "szDecimals": 2, "maxLeverage": 20, "marginTableId": 20} for c in coins]
    universe += [{"name": c, "szDecimals": 1, "maxLeverage": 3, "isDelisted": True} for c in delisted]
    return {"universe": universe, "marginTables": [], "collateralToken": 0}


def asset_ctx(price: float) -> dict[str, Any]:
    text = repr(price)
    return {
        "dayNtlVlm": "1000000.0",
        "funding": "0.0000125",
        "impactPxs": [text, text],
        "markPx": text,
        "midPx": text,
        "openInterest": "100.0",
        "oraclePx": text,
        "premium": "0.0",
        "prevDayPx": text,
        "dayBaseVlm": "10.0",
    }


@dataclass
class FakeHyperliquid:
    page_limit: int = 2000
    recent_limit: int = 2000  # userFills: the account's most recent fills, newest first
    vaults: dict[str, Any] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    fills: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    universe: dict[str, Any] = field(default_factory=lambda: meta(["BTC", "ETH"]))
    failing: set[str] = field(default_factory=set)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self, body: dict[str, Any]) -> Any:
        kind = body["type"]
        if kind == "vaultDetails":
            return self.vaults.get(body["vaultAddress"])
        if kind == "clearinghouseState":
            return self.states.get(body["user"], clearinghouse(0.0, []))
        if kind == "userFillsByTime":
            end = body.get("endTime")
            matching = [
                f
                for f in self.fills.get(body["user"], [])
                if f["time"] >= body["startTime"] and (end is None or f["time"] <= end)
            ]
            return sorted(matching, key=lambda f: f["time"])[: self.page_limit]
        if kind == "userFills":
            newest_first = sorted(self.fills.get(body["user"], []), key=lambda f: f["time"])[::-1]
            return newest_first[: self.recent_limit]
        if kind == "meta":
            return self.universe
        if kind == "metaAndAssetCtxs":
            return [self.universe, [asset_ctx(100.0) for _ in self.universe["universe"]]]
        if kind == "perpsAtOpenInterestCap":
            return []
        raise KeyError(kind)

    async def _info(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if body.get("type") in self.failing or body.get("user") in self.failing:
            return Response("upstream trouble", status_code=500)
        try:
            return JSONResponse(self.answer(body))
        except KeyError:
            return Response("Failed to deserialize the JSON body into the target type", status_code=422)

    def count(self, kind: str) -> int:
        return sum(1 for body in self.requests if body["type"] == kind)


def _server(fake: FakeHyperliquid) -> tuple[uvicorn.Server, int]:
    app = Starlette(routes=[Route("/info", fake._info, methods=["POST"])])
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    return uvicorn.Server(config), port


@contextlib.contextmanager
def serving_in_thread(fake: FakeHyperliquid) -> Iterator[FakeHyperliquid]:
    """Serve `fake` from its own thread and event loop, for a client in another process."""
    server, port = _server(fake)
    thread = threading.Thread(target=server.run, name="fake-hyperliquid", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake Hyperliquid server did not start")
        time.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def serving(fake: FakeHyperliquid) -> AsyncIterator[FakeHyperliquid]:
    """Serve `fake` on 127.0.0.1 at a free port for the duration of the block."""
    server, port = _server(fake)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        await task


def config_for(fake: FakeHyperliquid, collectors: dict[str, Any], market: bool = False) -> Config:
    """Collectors against the fake, with a budget that never makes a test wait and no retries."""
    sections: dict[str, Any] = {
        # This fake serves no l2Book: tests/market/test_book_depth.py
        "market": {"enabled": market, "book_depth": {"enabled": False}},
        "dexes": {"enabled": False},
        "liveness": {"enabled": False},
        "governance": {"enabled": False},
        **collectors,
    }
    return Config.model_validate(
        {
            "hyperliquid": {
                "api_url": fake.url,
                "weight_limit_per_minute": 1_000_000,
                "weight_budget_share": 1.0,
                "max_retries": 0,
            },
            "collectors": sections,
            "reference_prices": {"enabled": False},
            # These tests are about REST polling; tests/streaming covers the streams.
            "streaming": {"enabled": False},
        }
    )
