"""Real processes for relay tests and the burst benchmark: the relay CLI and Alertmanager 0.25."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.relay.harness import TOKEN
from tests.support.alertmanager import alertmanager_command
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port, running

RELAY_ENV = {"RELAY_BEARER_TOKEN": TOKEN, "TELEGRAM_BOT_TOKEN": "123:ABC"}
SECRETS = (TOKEN, "123:ABC", "/api/webhooks/1/tok")


def write_relay_config(
    path: Path, api_url: str, queue_path: Path, relay: dict[str, Any] | None = None
) -> Path:
    """A whole config.yaml whose relay section points at the fake; secrets come from RELAY_ENV."""
    section: dict[str, Any] = {
        "queue_path": str(queue_path),
        "bearer_token": "${RELAY_BEARER_TOKEN}",
        "grafana_base_url": "https://grafana.example.org",
        "retry": {
            "attempts": 3,
            "initial_backoff_seconds": 0.05,
            "max_backoff_seconds": 0.2,
            "hold_seconds": 0.3,
        },
        "telegram": {
            "api_url": api_url,
            "bot_token": "${TELEGRAM_BOT_TOKEN}",
            "chat_id": -100123,
            "pacing": [{"messages": 1, "period_seconds": 0.05}],
        },
        "discord": {
            "webhook_url": f"{api_url}/api/webhooks/1/tok",
            "pacing": [{"messages": 1, "period_seconds": 0.05}],
        },
    }
    for key, value in (relay or {}).items():
        section[key] = {**section[key], **value} if isinstance(value, dict) and key in section else value
    path.write_text(yaml.safe_dump({"relay": section}, sort_keys=False))
    return path


@contextlib.contextmanager
def relay_process(
    config_path: Path, log_path: Path, port: int | None = None, log_level: str = "info"
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "exporter.relay.cli",
        f"--config.file={config_path}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--log.level={log_level}",
    ]
    url = f"http://127.0.0.1:{port}"
    with running(argv, f"{url}/-/ready", log_path, env=RELAY_ENV, cwd=REPO_ROOT) as process:
        yield process, url


def relay_receiver(relay_url: str) -> dict[str, Any]:
    """An Alertmanager receiver sending to both relay channels with bearer authentication."""

    def webhook(channel: str) -> dict[str, Any]:
        return {
            "url": f"{relay_url}/webhook/{channel}",
            "send_resolved": True,
            "http_config": {"authorization": {"type": "Bearer", "credentials": TOKEN}},
        }

    return {"name": "relay", "webhook_configs": [webhook("telegram"), webhook("discord")]}


def native_receiver(api_url: str, chat_id: int = -100123) -> dict[str, Any]:
    """Alertmanager 0.25's own Telegram and Discord notifiers, pointed at the same fakes."""
    return {
        "name": "native",
        "telegram_configs": [
            {"api_url": api_url, "bot_token": "123:ABC", "chat_id": chat_id, "send_resolved": True}
        ],
        "discord_configs": [{"webhook_url": f"{api_url}/api/webhooks/1/tok", "send_resolved": True}],
    }


def write_alertmanager_config(
    path: Path,
    receiver: dict[str, Any],
    group_by: list[str],
    group_wait: str = "1s",
    group_interval: str = "1s",
) -> Path:
    config = {
        "route": {
            "receiver": receiver["name"],
            "group_by": group_by,
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": "4h",
        },
        "receivers": [receiver],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@contextlib.contextmanager
def alertmanager_process(config_path: Path, workdir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        *alertmanager_command(),
        f"--config.file={config_path}",
        f"--storage.path={workdir / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        f"--web.external-url={url}",
    ]
    with running(argv, f"{url}/-/ready", workdir / "alertmanager.log"):
        yield url


@contextlib.contextmanager
def clustered_alertmanager(
    config_path: Path, workdir: Path, cluster_port: int, peer_ports: list[int], peer_timeout: str = "2s"
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """One Alertmanager of a cluster gossiping on 127.0.0.1 (fast gossip and settle, for tests)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        *alertmanager_command(),
        f"--config.file={config_path}",
        f"--storage.path={workdir / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--web.external-url={url}",
        f"--cluster.listen-address=127.0.0.1:{cluster_port}",
        f"--cluster.advertise-address=127.0.0.1:{cluster_port}",
        *(f"--cluster.peer=127.0.0.1:{peer}" for peer in peer_ports),
        f"--cluster.peer-timeout={peer_timeout}",
        "--cluster.gossip-interval=50ms",
        "--cluster.pushpull-interval=1s",
        "--cluster.settle-timeout=3s",
        "--cluster.reconnect-interval=1s",
    ]
    with running(argv, f"{url}/-/ready", workdir / "alertmanager.log") as process:
        yield process, url


def post_alerts(alertmanager_url: str, alerts: list[dict[str, Any]], resolved: bool = False) -> None:
    """Send alerts the way Prometheus does (POST /api/v2/alerts); `resolved` sets endsAt to now."""
    now = datetime.now(UTC)
    ends = now if resolved else now + timedelta(hours=1)
    body = [
        {
            "labels": alert["labels"],
            "annotations": alert.get("annotations", {}),
            "startsAt": alert.get("startsAt", (now - timedelta(minutes=1)).isoformat()),
            "endsAt": ends.isoformat(),
            "generatorURL": "http://prometheus.example.org/graph?g0.expr=up",
        }
        for alert in alerts
    ]
    response = httpx.post(f"{alertmanager_url}/api/v2/alerts", json=body, timeout=30)
    response.raise_for_status()
