"""The simulator's HTTP side: `POST /info`, the reference exchanges' endpoints, the `/_replay` admin API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute

from exporter.hyperliquid.weights import base_weight, items_surcharge
from exporter.replay.clock import ScenarioClock
from exporter.replay.exchange_responses import OUTAGE_BODIES, ExchangeResponder
from exporter.replay.faults import Fault, FaultSet
from exporter.replay.info_responses import InfoRequestError, InfoResponder
from exporter.replay.perp_responses import PerpResponder
from exporter.replay.rate_limit import WeightLimiter
from exporter.replay.scenario import Exchange
from exporter.replay.timeline import Timeline
from exporter.replay.venue import SLOW, Venue, VenueFaultError
from exporter.replay.ws import WsFaultError, WsHub, ws_endpoint

_FAULT_LIST = TypeAdapter(list[Fault])
_KNOWN_INFO_TYPES = {
    "meta",
    "metaAndAssetCtxs",
    "allMids",
    "perpsAtOpenInterestCap",
    "predictedFundings",
    "perpDexs",
    "perpDexStatus",
    "perpDexLimits",
    "spotMetaAndAssetCtxs",
    "l2Book",
    "clearinghouseState",
    "vaultDetails",
    "portfolio",
    "userFills",
    "userFillsByTime",
    "exchangeStatus",
    "validatorL1Votes",
    "validatorSummaries",
    "spotClearinghouseState",
    "delegatorSummary",
}


@dataclass
class ReplayState:
    timeline: Timeline
    clock: ScenarioClock
    limiter: WeightLimiter | None  # None: rate limiting switched off
    faults: FaultSet = field(default_factory=FaultSet)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # injectable so tests need not wait
    ws: WsHub = field(default_factory=WsHub)  # the /ws side: user quota, faults
    venue: Venue | None = None  # chain-freeze and api-errors; built from the timeline when absent


def _json(body: Any, status: int = 200) -> Response:
    # Compact separators, like the real API; starlette's JSONResponse would do the same but slower to tweak.
    return Response(
        json.dumps(body, separators=(",", ":")), status_code=status, media_type="application/json"
    )


def _dripped(body: bytes, seconds_per_byte: float, sleep: Callable[[float], Awaitable[None]]) -> Response:
    """The body one byte at a time: every read gets a byte, so no per-read timeout ever fires."""

    async def drip() -> AsyncIterator[bytes]:
        for index in range(len(body)):
            yield body[index : index + 1]
            await sleep(seconds_per_byte)

    return StreamingResponse(drip(), media_type="application/json")


def _never_ending(body: bytes) -> Response:
    """Headers and the first byte, then nothing, forever."""

    async def hang() -> AsyncIterator[bytes]:
        yield body[:1]
        await asyncio.Event().wait()

    return StreamingResponse(hang(), media_type="application/json")


async def _apply_faults(state: ReplayState, target: str, body: Response) -> Response:
    """Latency first, then the first error, down, malformed, rate-limit, drip or hang fault that triggers."""
    scheduled = state.timeline.faults_at(state.clock.now())
    for fault in state.faults.triggered(target, scheduled):
        if fault.kind == "latency":
            await state.sleep(fault.seconds)
        elif fault.kind == "rate_limit":
            return Response("null", status_code=429, headers={"Retry-After": f"{fault.retry_after:g}"})
        elif fault.kind == "drip":
            return _dripped(bytes(body.body), fault.seconds, state.sleep)
        elif fault.kind == "hang":
            return _never_ending(bytes(body.body))
        elif fault.kind in ("error", "down"):
            for exchange, outage_body in OUTAGE_BODIES.items():
                if exchange == target:
                    return Response(outage_body, status_code=fault.status)
            return PlainTextResponse("Internal Server Error", status_code=fault.status)
        elif fault.kind == "malformed":
            text = bytes(body.body)
            return Response(text[: max(1, len(text) // 2)], status_code=200, media_type="application/json")
    return body


def _json_rpc(payload: Any, venue: Venue) -> Any:
    """The HyperEVM JSON-RPC methods a liveness probe uses: eth_getBlockByNumber, eth_blockNumber."""
    if not isinstance(payload, dict):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
    ident = payload.get("id")
    method = payload.get("method")
    block = venue.evm_block()
    if method == "eth_getBlockByNumber":
        return {"jsonrpc": "2.0", "id": ident, "result": block}
    if method == "eth_blockNumber":
        return {"jsonrpc": "2.0", "id": ident, "result": block["number"]}
    return {"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": "method not found"}}


def create_app(state: ReplayState) -> Starlette:
    if state.venue is None:
        state.venue = Venue(state.clock, list(state.timeline.venue_events), state.timeline.scenario.seed)
    venue = state.venue
    state.ws.frozen = venue.frozen
    info = InfoResponder(state.timeline, state.clock, now=venue.chain_time)
    exchanges = ExchangeResponder(state.timeline.market, state.clock, state.timeline.scenario.seed)
    perps = PerpResponder(state.timeline.market, state.clock, state.timeline.scenario.seed)

    async def post_info(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("Failed to parse the request body as JSON", status_code=400)
        kind = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(kind, str) or kind not in _KNOWN_INFO_TYPES:
            return PlainTextResponse(InfoRequestError.body, status_code=422)
        client = request.client.host if request.client is not None else "unknown"
        if state.limiter is not None and not state.limiter.try_spend(client, base_weight(kind)):
            return _json(None, status=429)
        outcome = venue.api_outcome()
        if isinstance(outcome, int):
            return PlainTextResponse("Bad Gateway" if outcome == 502 else "Service Unavailable", outcome)
        if outcome == SLOW:
            await state.sleep(venue.slow_seconds())
        if kind == "exchangeStatus":
            return await _apply_faults(state, f"info:{kind}", _json(venue.exchange_status()))
        try:
            answer = info.answer(payload)
        except InfoRequestError:
            return PlainTextResponse(InfoRequestError.body, status_code=422)
        if state.limiter is not None:
            state.limiter.spend(client, items_surcharge(kind, answer.items))
        return await _apply_faults(state, f"info:{kind}", _json(answer.body))

    async def exchange(name: Exchange, build: Any) -> Response:
        status = exchanges.outage(name)
        if status is not None:
            return Response(OUTAGE_BODIES[name], status_code=status)
        code, body = build()
        return await _apply_faults(state, name, _json(body, status=code))

    async def binance(request: Request) -> Response:
        return await exchange("binance", lambda: exchanges.binance(request.query_params.get("symbol")))

    async def okx(request: Request) -> Response:
        inst_type = request.query_params.get("instType")
        if inst_type == "SWAP":
            return await perp("okx", perps.okx)
        return await exchange("okx", lambda: exchanges.okx(inst_type))

    async def bybit(request: Request) -> Response:
        category = request.query_params.get("category")
        if category == "linear":
            return await perp("bybit", perps.bybit)
        return await exchange("bybit", lambda: exchanges.bybit(category))

    async def perp(name: str, build: Any) -> Response:
        """A perp venue's tickers: spot outages leave them up; faults aimed at `<name>_perp` apply."""
        code, body = build()
        return await _apply_faults(state, f"{name}_perp", _json(body, status=code))

    async def binance_perp(_: Request) -> Response:
        return await perp("binance", perps.binance)

    async def gate_perp(_: Request) -> Response:
        return await perp("gate", perps.gate)

    async def mexc_perp(_: Request) -> Response:
        return await perp("mexc", perps.mexc)

    async def coinbase(request: Request) -> Response:
        return await exchange("coinbase", lambda: exchanges.coinbase(request.path_params["pair"]))

    async def kraken(_: Request) -> Response:
        return await exchange("kraken", exchanges.kraken)

    async def kucoin(_: Request) -> Response:
        return await exchange("kucoin", exchanges.kucoin)

    async def gate(_: Request) -> Response:
        return await exchange("gate", exchanges.gate)

    async def mexc(_: Request) -> Response:
        return await exchange("mexc", exchanges.mexc)

    async def status(_: Request) -> Response:
        now = state.clock.now()
        scenario = state.timeline.scenario
        upcoming = [at for at in state.timeline.event_times if at > now]
        return JSONResponse(
            {
                "scenario": scenario.name,
                "description": scenario.description,
                "scenario_time_seconds": now,
                "speed": state.clock.speed,
                "start_offset_seconds": state.clock.start_offset,
                "duration_seconds": scenario.duration,
                "wall_time_ms": state.clock.wall_ms(now),
                "scenario_zero_wall_ms": state.clock.wall_ms(0.0),
                "events_applied": state.timeline.events_applied(now),
                "events_total": len(state.timeline.event_times),
                "next_event_seconds": upcoming[0] if upcoming else None,
                "rate_limit": {
                    "enabled": state.limiter is not None,
                    "limit_per_minute": state.limiter.limit if state.limiter is not None else None,
                },
                "faults": [fault.model_dump() for fault in state.faults.faults],
            }
        )

    async def get_faults(_: Request) -> Response:
        return JSONResponse({"faults": [fault.model_dump() for fault in state.faults.faults]})

    async def set_faults(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            if not isinstance(payload, dict) or set(payload) != {"faults"}:
                raise ValueError('expected {"faults": [...]}')
            faults = _FAULT_LIST.validate_python(payload["faults"])
        except ValidationError as exc:
            problems = [f"faults.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            return JSONResponse({"error": "; ".join(problems)}, status_code=400)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        state.faults.replace(faults)
        return await get_faults(request)

    async def clear_faults(request: Request) -> Response:
        state.faults.replace([])
        return await get_faults(request)

    async def ws_status(_: Request) -> Response:
        return JSONResponse(state.ws.status())

    async def ws_fault(request: Request) -> Response:
        try:
            state.ws.apply_fault(json.loads(await request.body()))
        except (ValueError, WsFaultError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(state.ws.status())

    async def evm(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _json({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        if isinstance(payload, list):
            return _json([_json_rpc(item, venue) for item in payload])
        return _json(_json_rpc(payload, venue))

    async def venue_status(_: Request) -> Response:
        return JSONResponse(venue.status())

    async def venue_fault(request: Request) -> Response:
        try:
            venue.apply(json.loads(await request.body()))
        except (ValueError, VenueFaultError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(venue.status())

    async def healthy(_: Request) -> Response:
        return PlainTextResponse("Healthy.\n")

    routes = [
        Route("/info", post_info, methods=["POST"]),
        Route("/api/v3/ticker/price", binance, methods=["GET"]),
        Route("/api/v5/market/tickers", okx, methods=["GET"]),
        Route("/v5/market/tickers", bybit, methods=["GET"]),
        Route("/v2/prices/{pair}/spot", coinbase, methods=["GET"]),
        Route("/0/public/Ticker", kraken, methods=["GET"]),
        Route("/api/v1/market/allTickers", kucoin, methods=["GET"]),
        Route("/api/v4/spot/tickers", gate, methods=["GET"]),
        Route("/api/v3/ticker/24hr", mexc, methods=["GET"]),
        Route("/fapi/v1/ticker/bookTicker", binance_perp, methods=["GET"]),
        Route("/api/v4/futures/usdt/tickers", gate_perp, methods=["GET"]),
        Route("/api/v1/contract/ticker", mexc_perp, methods=["GET"]),
        Route("/_replay/status", status, methods=["GET"]),
        Route("/_replay/faults", get_faults, methods=["GET"]),
        Route("/_replay/faults", set_faults, methods=["POST"]),
        Route("/_replay/faults", clear_faults, methods=["DELETE"]),
        WebSocketRoute("/ws", ws_endpoint(state.ws, state.timeline, state.clock)),
        Route("/_replay/ws", ws_status, methods=["GET"]),
        Route("/_replay/ws", ws_fault, methods=["POST"]),
        Route("/evm", evm, methods=["POST"]),
        Route("/_replay/venue", venue_status, methods=["GET"]),
        Route("/_replay/venue", venue_fault, methods=["POST"]),
        Route("/-/healthy", healthy, methods=["GET"]),
        Route("/-/ready", healthy, methods=["GET"]),
    ]
    return Starlette(routes=routes)
