"""Render the shipped configuration with test values, and run amtool on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from exporter.deploy.alertmanager_config import render_directory
from tests.support.binaries import ALERTMANAGER_DIR, find_binary

RELAY_TOKEN = "test-relay-token"
GRAFANA_URL = "https://grafana.example.test"
SLACK_PATH = "/slack/T000/B000/XXXXXXXX"
WEBHOOK_PATH = "/generic"
HEARTBEAT_PATH = "/heartbeat"
TELEGRAM_PATH = "/webhook/telegram"
DISCORD_PATH = "/webhook/discord"


def environment_for(receiver_base_url: str) -> dict[str, str]:
    """Every variable alertmanager.yml needs, all receivers pointing at one loopback base URL."""
    return {
        "HL_RELAY_URL": receiver_base_url,
        "HL_RELAY_BEARER_TOKEN": RELAY_TOKEN,
        "HL_SLACK_WEBHOOK_URL": receiver_base_url + SLACK_PATH,
        "HL_SLACK_CHANNEL": "#hl-test",
        "HL_WEBHOOK_URL": receiver_base_url + WEBHOOK_PATH,
        "HL_HEARTBEAT_URL": receiver_base_url + HEARTBEAT_PATH,
        "HL_GRAFANA_URL": GRAFANA_URL,
        "HL_EMAIL_TO": "oncall@example.test",
        "HL_EMAIL_FROM": "alertmanager@example.test",
        "HL_SMTP_SMARTHOST": "127.0.0.1:9",
        "HL_SMTP_USERNAME": "alertmanager",
        "HL_SMTP_PASSWORD": "smtp-test-password",
    }


def render_shipped_config(output_dir: Path, receiver_base_url: str = "http://127.0.0.1:9") -> Path:
    return render_directory(ALERTMANAGER_DIR, output_dir, environment_for(receiver_base_url))


def amtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("amtool"), *arguments], capture_output=True, text=True, check=False, timeout=60
    )
