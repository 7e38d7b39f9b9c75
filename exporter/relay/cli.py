"""`hyperliquid-alert-relay`: Prometheus-style flags, whole-file config validation, the HTTP server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from exporter.config_loader import ConfigError
from exporter.listen import split_listen_address
from exporter.logs import setup_logging
from exporter.relay.app import create_app
from exporter.relay.config import RelayConfig
from exporter.relay.redact import install_redaction
from exporter.relay.service import RelayService
from exporter.web.config import WebConfigError
from exporter.web.flags import WebOptions, add_server_flags
from exporter.web.layer import WebLayer, check_telemetry_path
from exporter.web.reload import ReloadError, ReloadStep

log = logging.getLogger(__name__)
PROG = "hyperliquid-alert-relay"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Relay Alertmanager webhooks to Telegram and Discord, durably and paced."
    )
    add_server_flags(
        parser,
        prog=PROG,
        listen=":9763",
        listen_help="address to receive webhooks on",
        web_config_help=(
            "exporter-toolkit web configuration (TLS, basic auth except on /webhook/); empty: plain HTTP"
        ),
    )
    return parser.parse_args(argv)


def load_relay_config(path: str) -> RelayConfig:
    """The `relay` section of a whole, validated config file; raises ValueError saying what is missing."""
    from exporter.config import load_config  # late: exporter.config imports this package's config module

    relay = load_config(path).relay
    if relay is None:
        raise ValueError(f"{path}: the relay section is missing")
    if relay.bearer_token is None:
        raise ValueError(f"{path}: relay.bearer_token is required (Alertmanager's authorization credentials)")
    if relay.telegram is None and relay.discord is None:
        raise ValueError(f"{path}: relay needs at least one of relay.telegram and relay.discord")
    return relay


def relay_reload_step(path: str, running: RelayConfig) -> ReloadStep:
    """A reload re-reads the web config; the relay section itself (chats, tokens) takes a restart.

    The step still re-validates the file, so an edit waiting for a restart shows as a failed reload
    (`hyperliquid_relay_config_last_reload_successful` 0) instead of being silently ignored.
    """

    async def check() -> None:
        try:
            current = await asyncio.to_thread(load_relay_config, path)
        except (ConfigError, ValueError) as exc:
            raise ReloadError(str(exc)) from exc
        if current != running:
            raise ReloadError(f"{path}: the relay section changed; restart the relay to apply it")

    return check


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        config = load_relay_config(args.config_file)
        split_listen_address(args.listen_address)
        check_telemetry_path(args.telemetry_path)
        web = WebLayer(args.web_config_file, "hyperliquid_relay", WebOptions.from_args(args))
    except (ConfigError, ValueError, WebConfigError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.config_check:
        print(f"{args.config_file}: configuration is valid")
        return 0
    install_redaction(config)
    app = create_app(RelayService(config), args.telemetry_path, web.telemetry.render)
    web.add_reload_step(relay_reload_step(args.config_file, config))
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal under the handler that was in place
    # before it started; a no-op handler there makes a clean stop exit 0, like Prometheus' own binaries.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    # The webhook keeps its own bearer token (Alertmanager sends one Authorization header, not two).
    wrapped = web.wrap(app, auth_exempt_prefixes=("/webhook/",))
    started = True  # a Ctrl-C before the server reports back is a clean stop
    try:
        with contextlib.suppress(KeyboardInterrupt):
            started = asyncio.run(web.serve(wrapped, args.listen_address, lifespan="on"))
    except OSError as exc:
        print(f"{PROG}: cannot listen on {args.listen_address}: {exc}", file=sys.stderr)
        return 1
    if not started:  # startup failed (queue held by another relay): logged above
        return 1
    log.info("relay stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
