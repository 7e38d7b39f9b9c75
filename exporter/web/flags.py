"""The flags the exporter and the relay share: config file and check, web layer, logging, version."""

from __future__ import annotations

import argparse

from exporter import __version__
from exporter.logs import add_logging_flags


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
        "--config.check", dest="config_check", action="store_true", help="validate the config file and exit"
    )
    add_logging_flags(parser)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
