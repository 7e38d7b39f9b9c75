"""`hyperliquid-alert-relay`: Prometheus-style flags, whole-file config validation, the HTTP server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

import uvicorn

from exporter import __version__
from exporter.listen import parse_listen_address
from exporter.logs import LEVELS, setup_logging
from exporter.relay.app import create_app
from exporter.relay.config import RelayConfig
from exporter.relay.redact import install_redaction
from exporter.relay.service import RelayService

log = logging.getLogger("exporter.relay")
PROG = "hyperliquid-alert-relay"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Relay Alertmanager webhooks to Telegram and Discord, durably and paced."
    )
    parser.add_argument("--config.file", dest="config_file", default="config.yaml", help="configuration file")
    parser.add_argument(
        "--web.listen-address", dest="listen_address", default=":9763", help="address to receive webhooks on"
    )
    parser.add_argument(
        "--config.check", dest="config_check", action="store_true", help="validate the config file and exit"
    )
    parser.add_argument("--log.level", dest="log_level", default="info", choices=LEVELS)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
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


def main(argv: Sequence[str] | None = None) -> int:
    from exporter.config import ConfigError

    args = parse_args(argv)
    setup_logging(args.log_level)
    try:
        config = load_relay_config(args.config_file)
        host, port = parse_listen_address(args.listen_address)
    except (ConfigError, ValueError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.config_check:
        print(f"{args.config_file}: configuration is valid")
        return 0
    install_redaction(config)
    app = create_app(RelayService(config))
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
    )
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal under the handler that was in place
    # before it started; a no-op handler there makes a clean stop exit 0, like Prometheus' own binaries.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())
    log.info("relay stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
