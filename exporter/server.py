"""HTTP side of the exporter: /metrics, health, readiness and a landing page. Never calls upstream."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from exporter import __version__
from exporter.exposition import CONTENT_TYPE, Exposition
from exporter.gzip_stream import accepts_gzip
from exporter.store import PollerHealth


class StoreView(Protocol):
    """What the pages read: a SnapshotStore, or the runtime pointing at the current one."""

    @property
    def health(self) -> dict[str, PollerHealth]: ...

    @property
    def ready(self) -> bool: ...


def _landing_page(store: StoreView, telemetry_path: str) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(h.name)}</td><td>{html.escape(h.collector)}</td><td>{h.interval:g}s</td>"
        f"<td>{'ok' if h.succeeded else ('failing' if h.attempted else 'starting')}</td></tr>"
        for h in store.health.values()
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Hyperliquid Exporter</title></head>"
        f"<body><h1>Hyperliquid Exporter</h1><p>Version {html.escape(__version__)}</p>"
        f"<ul><li><a href='{html.escape(telemetry_path.lstrip('/'))}'>Metrics</a></li>"
        "<li><a href='-/healthy'>Health</a></li>"
        "<li><a href='-/ready'>Readiness</a></li></ul>"
        "<table border='1' cellpadding='4'><tr><th>poller</th><th>collector</th><th>interval</th>"
        f"<th>state</th></tr>{rows}</table></body></html>"
    )


def build_app(
    store: StoreView, render_metrics: Callable[[], Exposition], telemetry_path: str = "/metrics"
) -> Starlette:
    async def metrics(request: Request) -> Response:
        exposition = render_metrics()
        if accepts_gzip(request.headers.get("accept-encoding")):
            # The web layer's gzip middleware leaves a response that is already encoded alone.
            return Response(
                exposition.gzip(),
                media_type=CONTENT_TYPE,
                headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        return Response(exposition.identity(), media_type=CONTENT_TYPE)

    async def healthy(_: Request) -> Response:
        return PlainTextResponse("Healthy.\n")

    async def ready(_: Request) -> Response:
        if store.ready:
            return PlainTextResponse("Ready.\n")
        waiting = sorted(h.name for h in store.health.values() if not h.attempted)
        return PlainTextResponse(
            f"Not ready: first poll pending for {', '.join(waiting)}.\n", status_code=503
        )

    async def landing(_: Request) -> Response:
        return HTMLResponse(_landing_page(store, telemetry_path))

    return Starlette(
        routes=[
            Route("/", landing, methods=["GET"]),
            Route(telemetry_path, metrics, methods=["GET"]),
            Route("/-/healthy", healthy, methods=["GET", "HEAD"]),
            Route("/-/ready", ready, methods=["GET", "HEAD"]),
        ]
    )
