"""`hyperliquid-exporter`: Prometheus-style flags, config check, and the serving loop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence

from exporter import __version__
from exporter.config import ConfigError, load_config
from exporter.listen import parse_listen_address
from exporter.logs import add_logging_flags, setup_logging

log = logging.getLogger("exporter")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hyperliquid-exporter",
        description="Prometheus exporter for Hyperliquid venue risk: markets, oracle, HLP, liquidations.",
    )
    parser.add_argument("--config.file", dest="config_file", default="config.yaml", help="configuration file")
    parser.add_argument(
        "--web.listen-address", dest="listen_address", default=":9762", help="address to serve metrics on"
    )
    parser.add_argument(
        "--config.check", dest="config_check", action="store_true", help="validate the config file and exit"
    )
    add_logging_flags(parser)
    parser.add_argument("--version", action="version", version=f"hyperliquid-exporter {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        config = load_config(args.config_file)
    except ConfigError as exc:
        print(f"hyperliquid-exporter: {exc}", file=sys.stderr)
        return 1
    if args.config_check:
        print(f"{args.config_file}: configuration is valid")
        return 0
    try:
        host, port = parse_listen_address(args.listen_address)
    except ValueError as exc:
        print(f"hyperliquid-exporter: --web.listen-address: {exc}", file=sys.stderr)
        return 1
    from exporter.app import build_exporter, serve  # imported late: --config.check needs none of it

    exporter = build_exporter(config)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(exporter, host, port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
