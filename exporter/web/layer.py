"""One web layer for a Starlette app: middleware, TLS, listening sockets, SIGHUP and `/-/reload`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable
from typing import Literal

import uvicorn
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from exporter.gzip_stream import GZIP_LEVEL
from exporter.listen import bind_listen_sockets
from exporter.web.accept_errors import AcceptErrorLog
from exporter.web.auth import BasicAuthMiddleware
from exporter.web.coalescing import CoalescingH11Protocol
from exporter.web.config import WebConfig, WebConfigError, load_web_config
from exporter.web.connections import (
    ACCEPT_BACKLOG,
    LISTEN_QUEUE,
    ConnectionGuard,
    connection_budget,
    guarded,
)
from exporter.web.flags import WebOptions
from exporter.web.password_checks import PasswordChecker
from exporter.web.reload import Reloader, ReloadError, ReloadStep
from exporter.web.telemetry import ProcessTelemetry, WebCollector

log = logging.getLogger(__name__)

RELOAD_PATH = "/-/reload"
RESERVED_PATHS = ("/", "/-/healthy", "/-/ready", RELOAD_PATH)
# Smaller bodies (health answers, a 401) gain nothing from compression.
GZIP_MINIMUM_BYTES = 1024


def check_telemetry_path(path: str) -> str:
    """The `--web.telemetry-path` value, or ValueError saying what is wrong with it."""
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise ValueError(f"{path!r} must be an absolute URL path such as /metrics")
    if path in RESERVED_PATHS:
        raise ValueError(f"{path!r} is already served ({', '.join(RESERVED_PATHS)} are reserved)")
    return path


class WebLayer:
    """The web configuration in force and what depends on it.

    Raises WebConfigError at construction when the file is wrong, so a command fails at start-up
    with the file's problem instead of serving without the protection it asked for.
    """

    def __init__(
        self, config_file: str | None, metric_prefix: str, options: WebOptions | None = None
    ) -> None:
        self.config_file = config_file
        self.options = options or WebOptions()
        self.config: WebConfig = load_web_config(config_file)
        self.ssl_context = self.config.tls.context() if self.config.tls else None
        self.reloader = Reloader([self.reload_web_config])
        self.guard = ConnectionGuard(
            connection_budget(self.options.max_connections), self.options.read_header_timeout
        )
        self.accept_errors = AcceptErrorLog()
        self.password_checker = PasswordChecker()
        self.telemetry = ProcessTelemetry(metric_prefix, self.reloader)
        self.telemetry.registry.register(
            WebCollector(metric_prefix, self.guard, self.accept_errors, self.password_checker)
        )

    def add_reload_step(self, step: ReloadStep) -> None:
        self.reloader.steps.append(step)

    async def reload_web_config(self) -> None:
        try:
            new = await asyncio.to_thread(load_web_config, self.config_file)
        except WebConfigError as exc:
            raise ReloadError(str(exc)) from exc
        if (new.tls is None) != (self.ssl_context is None):
            raise ReloadError(f"{self.config_file}: turning TLS on or off takes a restart")
        if new.tls is not None and self.ssl_context is not None:
            # New handshakes get the new certificate (rotated by cert-manager, say); open ones keep theirs.
            new.tls.apply_to(self.ssl_context)
        self.config = new

    def wrap(self, app: ASGIApp, auth_exempt_prefixes: tuple[str, ...] = ()) -> ASGIApp:
        """gzip inside, then the reload endpoint, basic auth, and configured headers outermost."""
        wrapped: ASGIApp = GZipMiddleware(app, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
        wrapped = _ReloadEndpoint(wrapped, self.reloader, self.options.enable_lifecycle)
        wrapped = BasicAuthMiddleware(
            wrapped, lambda: self.config, auth_exempt_prefixes, checker=self.password_checker
        )
        return _HeadersMiddleware(wrapped, lambda: self.config)

    async def serve(
        self,
        app: ASGIApp,
        listen_address: str,
        lifespan: Literal["auto", "on", "off"] = "auto",
        one_send_per_response: bool = False,
    ) -> bool:
        """Serve until SIGINT/SIGTERM; reload on SIGHUP. Raises ValueError/OSError if it cannot bind.

        `one_send_per_response`: a response's head and body leave together at the end of the loop turn
        (exporter/web/coalescing.py), for large bodies scraped on kept-alive connections. Off, every
        write leaves at once: the relay's 200 acknowledges a webhook already queued, and a process
        killed before it left makes Alertmanager's other peer deliver the same alert too.

        Returns whether the server started (False when the application's start-up failed).
        """
        sockets = bind_listen_sockets(listen_address)
        if self.guard.max_connections < self.options.max_connections:
            log.warning(
                "--web.max-connections=%d lowered to %d to fit the open-files limit (ulimit -n)",
                self.options.max_connections,
                self.guard.max_connections,
            )
        base = CoalescingH11Protocol if one_send_per_response else H11Protocol
        config = uvicorn.Config(
            app,
            http=guarded(base, self.guard),
            log_config=None,
            access_log=False,
            lifespan=lifespan,
            backlog=ACCEPT_BACKLOG,
        )
        config.load()
        config.ssl = self.ssl_context
        server = _Server(config)
        loop = asyncio.get_running_loop()
        self.accept_errors.install(loop)
        pending: set[asyncio.Task[None]] = set()

        def on_sighup() -> None:
            task = loop.create_task(self.reloader.reload_quietly())
            pending.add(task)
            task.add_done_callback(pending.discard)

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        try:
            await server.serve(sockets=sockets)
        finally:
            loop.remove_signal_handler(signal.SIGHUP)
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        return server.started


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for sock in sockets or ():  # a longer kernel queue than the accept batch (connections.py)
            with contextlib.suppress(OSError):
                sock.listen(LISTEN_QUEUE)


class _ReloadEndpoint:
    def __init__(self, app: ASGIApp, reloader: Reloader, enabled: bool) -> None:
        self.app = app
        self.reloader = reloader
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != RELOAD_PATH:
            await self.app(scope, receive, send)
            return
        if not self.enabled:  # Prometheus' answer without --web.enable-lifecycle
            await _plain(send, 403, "Lifecycle API is not enabled.\n")
            return
        if scope["method"] not in ("POST", "PUT"):
            await _plain(send, 405, "Only POST or PUT requests allowed.\n", [(b"allow", b"POST, PUT")])
            return
        try:
            await self.reloader.reload()
        except ReloadError as exc:
            await _plain(send, 500, f"failed to reload config: {exc}\n")
            return
        await _plain(send, 200, "")


class _HeadersMiddleware:
    def __init__(self, app: ASGIApp, current: Callable[[], WebConfig]) -> None:
        self.app = app
        self.current = current

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self.current().headers
        if scope["type"] != "http" or not headers:
            await self.app(scope, receive, send)
            return
        extra = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(
    send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})
