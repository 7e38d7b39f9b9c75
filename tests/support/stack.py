"""The whole product on loopback: simulator, exporter, Prometheus with the project's rules,
Alertmanager with the project's routing, the relay, fake Telegram and Discord APIs, and
recording sinks for Slack, the generic webhook and the heartbeat.

Used by the end-to-end tests (time compressed by `speed`), the demo and the detection-latency
benchmark (speed 1, shipped intervals). Every server binds 127.0.0.1 on a free port and is stopped
when the `with` block ends.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from exporter.backtest.exporter_config import exporter_config, merged
from exporter.deploy.alertmanager_config import render_directory
from tests.alertmanager.sinks import RecordingSink, running_sink
from tests.alertmanager.timers import scale_route_timers
from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.support.alertmanager import alertmanager_command
from tests.support.binaries import ALERTMANAGER_DIR, REPO_ROOT, find_binary
from tests.support.processes import free_port, running
from tests.support.timescale import write_scaled_rules

RELAY_TOKEN = "stack-relay-token"
TELEGRAM_TOKEN = "123456:STACK"
TELEGRAM_CHAT = -1001234567890
SLACK_PATH = "/slack/T000/B000/STACK"
WEBHOOK_PATH = "/webhook"
HEARTBEAT_PATH = "/heartbeat"
GRAFANA_URL = "http://grafana.stack.test:3000"


@dataclass(frozen=True)
class StackOptions:
    scenario: str
    # Scenario seconds per wall-clock second. Poll intervals, rule windows and `for`, and
    # Alertmanager timers are all divided by it, so behaviour in scenario time is unchanged.
    speed: float = 1.0
    # The shipped prometheus.yml: the exporter job every second, rules every 5 s (the liquidation and
    # HLP groups set 1 s themselves).
    scrape_interval: float = 1.0
    evaluation_interval: float = 5.0
    start_offset: float = 0.0
    rate_limit: bool = True
    extra_exporter_config: dict[str, Any] = field(default_factory=dict)
    # group_wait of top-level Alertmanager routes, keyed by the route's first matcher (for example
    # {'severity="critical"': "1s"}), applied to the rendered config: lets the latency benchmark try
    # a timer without editing alertmanager.yml.
    alertmanager_group_wait: dict[str, str] = field(default_factory=dict)
    # Node mode: the simulator writes the scenario's fills as a node's files (--node-data-dir) and the
    # exporter reads them (node.data_dir).
    node_mode: bool = False


@dataclass
class Stack:
    options: StackOptions
    workdir: Path
    chat: FakeChatAPI
    sink: RecordingSink
    replay_url: str = ""
    exporter_url: str = ""
    prometheus_url: str = ""
    alertmanager_url: str = ""
    relay_url: str = ""
    sink_url: str = ""
    started_at: float = 0.0
    # Wall-clock epoch seconds of scenario time 0 (from the simulator's /_replay/status).
    scenario_zero_wall: float = 0.0
    # One client for every question the tests ask (thread-safe): `httpx.get` builds a client and its
    # TLS context each time, about 27 ms of CPU, which polling loops and panel queries paid hundreds of
    # times per scenario.
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    # --- what reached each channel -------------------------------------------------------------
    def telegram_texts(self) -> list[str]:
        return self.chat.texts("telegram")

    def discord_texts(self) -> list[str]:
        return self.chat.texts("discord")

    def sink_bodies(self, path: str) -> list[Any]:
        return [request.body for request in self.sink.received(path)]

    def slack_texts(self) -> list[str]:
        texts = []
        for body in self.sink_bodies(SLACK_PATH):
            for attachment in body.get("attachments", []):
                texts.append(" ".join(str(attachment.get(key, "")) for key in ("title", "text")))
        return texts

    def webhook_alertnames(self, path: str = WEBHOOK_PATH) -> set[str]:
        names = set()
        for body in self.sink_bodies(path):
            for alert in body.get("alerts", []):
                names.add(alert["labels"]["alertname"])
        return names

    # --- Prometheus and Alertmanager views -----------------------------------------------------
    def query(self, expr: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.prometheus_url}/api/v1/query", params={"query": expr})
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def firing_alerts(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.prometheus_url}/api/v1/alerts")
        response.raise_for_status()
        return [a for a in response.json()["data"]["alerts"] if a["state"] == "firing"]

    def scenario_time(self) -> float:
        status = self.http.get(f"{self.replay_url}/_replay/status", timeout=5).json()
        return float(status["scenario_time_seconds"])


def _exporter_config(options: StackOptions, replay_url: str) -> dict[str, Any]:
    return exporter_config(options.scenario, options.speed, replay_url, options.extra_exporter_config)


def _relay_config(chat_url: str, queue_path: Path) -> dict[str, Any]:
    return {
        "relay": {
            "queue_path": str(queue_path),
            "bearer_token": "${HL_RELAY_BEARER_TOKEN}",
            "grafana_base_url": GRAFANA_URL,
            "telegram": {"api_url": chat_url, "bot_token": TELEGRAM_TOKEN, "chat_id": TELEGRAM_CHAT},
            "discord": {"webhook_url": f"{chat_url}/api/webhooks/1/stack"},
        }
    }


def _prometheus_config(stack: Stack, rules_dir: Path) -> dict[str, Any]:
    options = stack.options
    exporter_target = stack.exporter_url.removeprefix("http://")
    relay_target = stack.relay_url.removeprefix("http://")
    scrape = f"{int(options.scrape_interval * 1000)}ms"
    return {
        "global": {
            "scrape_interval": scrape,
            "scrape_timeout": scrape,
            "evaluation_interval": f"{int(options.evaluation_interval * 1000)}ms",
            "external_labels": {"monitor": "hyperliquid"},
        },
        "rule_files": [str(rules_dir / "*.rules.yml")],
        "alerting": {
            "alertmanagers": [
                {"static_configs": [{"targets": [stack.alertmanager_url.removeprefix("http://")]}]}
            ]
        },
        "scrape_configs": [
            {"job_name": "hyperliquid", "static_configs": [{"targets": [exporter_target]}]},
            {"job_name": "hyperliquid-relay", "static_configs": [{"targets": [relay_target]}]},
        ],
    }


def _alertmanager_environment(sink_url: str, relay_url: str) -> dict[str, str]:
    return {
        "HL_RELAY_URL": relay_url,
        "HL_RELAY_BEARER_TOKEN": RELAY_TOKEN,
        "HL_SLACK_WEBHOOK_URL": sink_url + SLACK_PATH,
        "HL_SLACK_CHANNEL": "#hyperliquid-stack",
        "HL_WEBHOOK_URL": sink_url + WEBHOOK_PATH,
        "HL_HEARTBEAT_URL": sink_url + HEARTBEAT_PATH,
        "HL_GRAFANA_URL": GRAFANA_URL,
        "HL_EMAIL_TO": "oncall@example.test",
        "HL_EMAIL_FROM": "alertmanager@example.test",
        "HL_SMTP_SMARTHOST": "127.0.0.1:9",
        "HL_SMTP_USERNAME": "alertmanager",
        "HL_SMTP_PASSWORD": "smtp-test-password",
    }


def _override_group_wait(route: dict[str, Any], group_wait: dict[str, str]) -> None:
    routes = {str(child.get("matchers", [""])[0]): child for child in route.get("routes", [])}
    for matcher, value in group_wait.items():
        if matcher not in routes:
            raise ValueError(f"no top-level Alertmanager route matches {matcher!r}; have {sorted(routes)}")
        routes[matcher]["group_wait"] = value


def _write_yaml(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    return path


@contextlib.contextmanager
def running_stack(options: StackOptions, workdir: Path) -> Iterator[Stack]:
    workdir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    with contextlib.ExitStack() as exits:
        chat = exits.enter_context(fake_chat_api())
        sink, sink_url = exits.enter_context(running_sink())
        stack = Stack(options, workdir, chat, sink, sink_url=sink_url)
        exits.callback(stack.http.close)

        replay_port = free_port()
        stack.replay_url = f"http://127.0.0.1:{replay_port}"
        replay_argv = [
            python,
            "-m",
            "exporter.replay.cli",
            f"--scenario={options.scenario}",
            f"--web.listen-address=127.0.0.1:{replay_port}",
            f"--speed={options.speed}",
            f"--start-offset={options.start_offset}",
        ]
        if not options.rate_limit:
            replay_argv.append("--no-rate-limit")
        node_data_dir = workdir / "node-data"
        if options.node_mode:
            replay_argv.append(f"--node-data-dir={node_data_dir}")
        exits.enter_context(
            running(replay_argv, f"{stack.replay_url}/_replay/status", workdir / "replay.log", cwd=REPO_ROOT)
        )
        stack.started_at = time.time()
        status = stack.http.get(f"{stack.replay_url}/_replay/status", timeout=5).json()
        stack.scenario_zero_wall = float(status["scenario_zero_wall_ms"]) / 1000

        exporter_port = free_port()
        stack.exporter_url = f"http://127.0.0.1:{exporter_port}"
        config = _exporter_config(options, stack.replay_url)
        if options.node_mode:
            # The stack scrapes every second: two scrapes see a new coin's 0 before its events count.
            config = merged(config, {"node": {"data_dir": str(node_data_dir), "new_series_hold_seconds": 2}})
        exporter_config = _write_yaml(workdir / "config.yaml", config)
        exits.enter_context(
            running(
                [
                    python,
                    "-m",
                    "exporter.cli",
                    f"--config.file={exporter_config}",
                    f"--web.listen-address=127.0.0.1:{exporter_port}",
                ],
                f"{stack.exporter_url}/-/healthy",
                workdir / "exporter.log",
                cwd=REPO_ROOT,
            )
        )

        relay_port = free_port()
        stack.relay_url = f"http://127.0.0.1:{relay_port}"
        relay_config = _write_yaml(
            workdir / "relay.yaml", _relay_config(chat.url, workdir / "relay-queue.sqlite3")
        )
        exits.enter_context(
            running(
                [
                    python,
                    "-m",
                    "exporter.relay.cli",
                    f"--config.file={relay_config}",
                    f"--web.listen-address=127.0.0.1:{relay_port}",
                ],
                f"{stack.relay_url}/-/ready",
                workdir / "relay.log",
                env={"HL_RELAY_BEARER_TOKEN": RELAY_TOKEN},
                cwd=REPO_ROOT,
            )
        )

        am_port = free_port()
        stack.alertmanager_url = f"http://127.0.0.1:{am_port}"
        am_dir = workdir / "alertmanager"
        am_config_path = render_directory(
            ALERTMANAGER_DIR, am_dir, _alertmanager_environment(sink_url, stack.relay_url)
        )
        am_config = yaml.safe_load(am_config_path.read_text())
        if options.speed > 1:
            scale_route_timers(am_config["route"], int(options.speed))
        _override_group_wait(am_config["route"], options.alertmanager_group_wait)
        _write_yaml(am_config_path, am_config)
        exits.enter_context(
            running(
                [
                    *alertmanager_command(),
                    f"--config.file={am_config_path}",
                    f"--storage.path={workdir / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address=",
                    f"--web.external-url={stack.alertmanager_url}",
                ],
                f"{stack.alertmanager_url}/-/ready",
                workdir / "alertmanager.log",
            )
        )

        prometheus_port = free_port()
        stack.prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        rules_dir = workdir / "rules"
        scrape_ms = round(options.scrape_interval * 1000)
        write_scaled_rules(REPO_ROOT / "rules", rules_dir, options.speed, min_interval_ms=scrape_ms)
        prometheus_config = _write_yaml(workdir / "prometheus.yml", _prometheus_config(stack, rules_dir))
        exits.enter_context(
            running(
                [
                    find_binary("prometheus"),
                    f"--config.file={prometheus_config}",
                    f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                    f"--web.external-url={stack.prometheus_url}",
                    # Alerts evaluated before Alertmanager is discovered are dropped until the next
                    # resend (default 1m): compress that too.
                    f"--rules.alert.resend-delay={max(1, round(60 / options.speed))}s",
                ],
                f"{stack.prometheus_url}/-/ready",
                workdir / "prometheus.log",
            )
        )
        yield stack


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll `condition()` until it returns something truthy; fail with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
