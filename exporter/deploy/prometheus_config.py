r"""Adapt the shipped prometheus.yml to docker compose, where each component is its own host.

The shipped file describes one host: the exporter, relay and Alertmanager on localhost, rules next to the
file. In the compose stack they are reached by service name and the rules are mounted elsewhere, so the
stack writes an adapted copy at start-up instead of keeping a second prometheus.yml that could drift:

    hyperliquid-prometheus-config --source /etc/prometheus/prometheus.yml \
        --output /run/hyperliquid/prometheus.yml

Everything else (intervals, jobs, external labels, remote_write) is kept as it is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

# Which compose service answers on each of the project's ports.
COMPOSE_SERVICES: Mapping[int, str] = {9762: "exporter", 9763: "relay", 9764: "replay", 9093: "alertmanager"}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


class AdaptError(Exception):
    """The shipped file has a shape this step cannot adapt; the message says where."""


def adapt_target(target: str, where: str) -> str:
    host, separator, port = target.rpartition(":")
    if not separator or host not in LOCAL_HOSTS:
        return target
    if not port.isdigit() or int(port) not in COMPOSE_SERVICES:
        known = ", ".join(f"{p} ({s})" for p, s in COMPOSE_SERVICES.items())
        raise AdaptError(f"{where}: no compose service listens on {target}; known ports: {known}")
    return f"{COMPOSE_SERVICES[int(port)]}:{port}"


def _adapt_static_configs(section: Mapping[str, Any], where: str) -> None:
    for index, static in enumerate(section.get("static_configs") or []):
        static["targets"] = [
            adapt_target(str(t), f"{where}.static_configs[{index}]") for t in static["targets"]
        ]


def adapt(document: dict[str, Any], rules_base: PurePosixPath) -> dict[str, Any]:
    """Point localhost targets at compose services and make relative rule_files absolute under rules_base."""
    for index, manager in enumerate((document.get("alerting") or {}).get("alertmanagers") or []):
        _adapt_static_configs(manager, f"alerting.alertmanagers[{index}]")
    for job in document.get("scrape_configs") or []:
        _adapt_static_configs(job, f"scrape_configs[{job.get('job_name')}]")
    document["rule_files"] = [
        str(path) if (path := PurePosixPath(pattern)).is_absolute() else str(rules_base / path)
        for pattern in document.get("rule_files") or []
    ]
    return document


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hyperliquid-prometheus-config", description="Adapt prometheus.yml to docker compose."
    )
    parser.add_argument("--source", type=Path, required=True, help="the shipped prometheus.yml")
    parser.add_argument("--output", type=Path, required=True, help="where to write the adapted file")
    parser.add_argument(
        "--rules-base",
        type=PurePosixPath,
        help="directory that relative rule_files are resolved against (default: the source's directory)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    source: Path = arguments.source
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise AdaptError(f"{source}: the top level must be a mapping")
        adapted = adapt(document, arguments.rules_base or PurePosixPath(source.parent.as_posix()))
    except (OSError, yaml.YAMLError, AdaptError) as exc:
        print(f"hyperliquid-prometheus-config: cannot adapt {source}: {exc}", file=sys.stderr)
        return 1
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(yaml.safe_dump(adapted, sort_keys=False), encoding="utf-8")
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
