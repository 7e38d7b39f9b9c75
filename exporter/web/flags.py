"""The flags the exporter and the relay share: config file and check, web layer, logging, version."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from exporter import __version__
from exporter.logs import add_logging_flags
from exporter.web.connections import DEFAULT_HEADER_TIMEOUT_SECONDS, DEFAULT_MAX_CONNECTIONS


@dataclass(frozen=True)
class WebOptions:
    """What the web flags set besides the config files."""

    enable_lifecycle: bool = False
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    read_header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> WebOptions:
        return cls(args.enable_lifecycle, args.max_connections, args.read_header_timeout)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    value = float(text.removesuffix("s"))
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def add_server_flags(
    parser: argparse.ArgumentParser, *, prog: str, listen: str, listen_help: str, web_config_help: str
) -> None:
    parser.add_argument("--config.file", dest="config_file", default="config.yaml", help="configuration file")
    parser.add_argument("--web.listen-address", dest="listen_address", default=listen, help=listen_help)
    parser.add_argument("--web.config.file", dest="web_config_file", default="", help=web_config_help)
    parser.add_argument(
        "--web.telemetry-path", dest="telemetry_path", default="/metrics", help="path to serve metrics at"
    )
    parser.add_argument(
        "--web.enable-lifecycle",
        dest="enable_lifecycle",
        action="store_true",
        help="enable reloading via HTTP POST to /-/reload (SIGHUP always works)",
    )
    parser.add_argument(
        "--web.max-connections",
        dest="max_connections",
        type=_positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        help="open connections the listener holds; at the limit the one waiting longest for request "
        "headers is closed (keep it well under the open-files limit, `ulimit -n`)",
    )
    parser.add_argument(
        "--web.read-header-timeout",
        dest="read_header_timeout",
        type=_positive_seconds,
        default=DEFAULT_HEADER_TIMEOUT_SECONDS,
        help="seconds a connection has to send a request's headers (also between kept-alive requests)",
    )
    parser.add_argument(
        "--config.check", dest="config_check", action="store_true", help="validate the config file and exit"
    )
    add_logging_flags(parser)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
