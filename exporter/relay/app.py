"""HTTP side of the relay: webhook intake per channel, /metrics and health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from exporter.relay.metrics import CHANNELS
from exporter.relay.payload import PayloadError, parse_payload
from exporter.relay.queue import QueueFullError, QueueInUseError
from exporter.relay.schema import SchemaError
from exporter.relay.service import RelayService

log = logging.getLogger(__name__)


class _BodyTooLarge(Exception):
    pass


def create_app(
    service: RelayService,
    telemetry_path: str = "/metrics",
    extra_metrics: Callable[[], bytes] = lambda: b"",
) -> Starlette:
    config = service.config
    metrics = service.metrics

    def reject(channel: str, reason: str, status: int, message: str) -> JSONResponse:
        metrics.webhooks_rejected.labels(channel, reason).inc()
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"status": "rejected", "error": message}, status_code=status, headers=headers)

    async def webhook(request: Request) -> Response:
        channel = request.path_params["channel"]
        if channel not in CHANNELS:
            return JSONResponse(
                {"status": "rejected", "error": f"unknown channel {channel!r}"}, status_code=404
            )
        metrics.webhooks_received.labels(channel).inc()
        if not _authorized(request, config.bearer_token.get_secret_value() if config.bearer_token else None):
            return reject(channel, "unauthorized", 401, "missing or wrong bearer token")
        if channel not in service.channels:
            return reject(channel, "not_configured", 404, f"channel {channel} is not configured in relay")
        try:
            async with asyncio.timeout(config.request_read_timeout_seconds):
                body = await _read_limited(request, config.max_body_bytes)
        except _BodyTooLarge:
            return reject(
                channel, "too_large", 413, f"body larger than max_body_bytes={config.max_body_bytes}"
            )
        except TimeoutError:
            limit = config.request_read_timeout_seconds
            return reject(channel, "read_timeout", 408, f"body not received within {limit}s")
        try:
            payload = parse_payload(body)
        except PayloadError as exc:
            return reject(channel, "invalid_payload", 400, str(exc))
        try:
            result = await service.accept(channel, payload)
        except QueueFullError as exc:
            log.error("refused %s webhook for group %s: %s", channel, payload.groupKey, exc)
            return reject(channel, "queue_full", 503, f"{exc}; retry later")
        except sqlite3.Error as exc:
            log.error("could not persist %s webhook for group %s: %s", channel, payload.groupKey, exc)
            return reject(channel, "persist_failed", 503, "could not persist the webhook; retry later")
        except Exception:
            # A payload valid by the schema that still breaks rendering is a bug to fix, not a reason to
            # answer 5xx (Alertmanager would retry it forever): refuse it, count it, keep the traceback.
            log.exception("could not render %s webhook for group %s", channel, payload.groupKey)
            return reject(channel, "unrenderable", 422, "the relay could not render this payload")
        if result.duplicate:
            metrics.webhooks_duplicate.labels(channel).inc()
            return JSONResponse({"status": "duplicate", "messages": 0})
        return JSONResponse({"status": "queued", "messages": len(result.message_ids)})

    async def metrics_endpoint(request: Request) -> Response:
        # Off the event loop: the queue gauges query SQLite while collecting.
        body = await asyncio.to_thread(generate_latest, metrics.registry) + extra_metrics()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def healthy(request: Request) -> Response:
        return PlainTextResponse("Healthy.\n")

    async def ready(request: Request) -> Response:
        if service.ready:
            return PlainTextResponse("Ready.\n")
        return PlainTextResponse("Not ready: queue not open or workers not running.\n", status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await service.start()
        except (QueueInUseError, SchemaError) as exc:
            log.error("cannot start: %s", exc)
            raise
        try:
            yield
        finally:
            await service.stop()

    return Starlette(
        routes=[
            Route("/webhook/{channel}", webhook, methods=["POST"]),
            Route(telemetry_path, metrics_endpoint, methods=["GET"]),
            Route("/-/healthy", healthy, methods=["GET", "HEAD"]),
            Route("/-/ready", ready, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )


def _authorized(request: Request, token: str | None) -> bool:
    if token is None:
        return False
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode())


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
