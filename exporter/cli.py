"""`hyperliquid-exporter`: Prometheus-style flags, config check, and the serving loop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from exporter.config import ConfigError, load_config
from exporter.listen import split_listen_address
from exporter.logs import setup_logging
from exporter.web.config import WebConfigError
from exporter.web.flags import WebOptions, add_server_flags
from exporter.web.layer import WebLayer, check_telemetry_path

if TYPE_CHECKING:
    from exporter.app import Exporter

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hyperliquid-exporter",
        description="Prometheus exporter for Hyperliquid venue risk: markets, oracle, HLP, liquidations.",
    )
    add_server_flags(
        parser,
        prog="hyperliquid-exporter",
        listen=":9762",
        listen_help="address to serve metrics on",
        web_config_help="exporter-toolkit web configuration (TLS, basic auth); empty serves plain HTTP",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, prepare: Callable[[Exporter], None] | None = None) -> int:
    """`prepare` sees the built exporter before it serves (hyperliquid-backtest's node source lists the
    coins a market poller would have listed)."""
    args = parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        config = load_config(args.config_file)
    except ConfigError as exc:
        print(f"hyperliquid-exporter: {exc}", file=sys.stderr)
        return 1
    try:
        web = WebLayer(args.web_config_file, "hyperliquid_exporter", WebOptions.from_args(args))
    except WebConfigError as exc:
        print(f"hyperliquid-exporter: --web.config.file: {exc}", file=sys.stderr)
        return 1
    for flag, check, value in (
        ("--web.listen-address", split_listen_address, args.listen_address),
        ("--web.telemetry-path", check_telemetry_path, args.telemetry_path),
    ):
        try:
            check(value)
        except ValueError as exc:
            print(f"hyperliquid-exporter: {flag}: {exc}", file=sys.stderr)
            return 1
    if args.config_check:  # the web config file too: a wrong hash should not wait for the next restart
        print(f"{args.config_file}: configuration is valid")
        return 0
    # imported late: --config.check needs none of it
    from exporter.app import build_exporter, serve
    from exporter.runtime import ExporterRuntime

    exporter = build_exporter(config)
    if prepare is not None:
        prepare(exporter)
    runtime = ExporterRuntime(args.config_file, exporter)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(runtime, web, args.listen_address, args.telemetry_path))
    except OSError as exc:
        print(f"hyperliquid-exporter: cannot listen on {args.listen_address}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
