"""The relay section shown in docs/relay.md must load as written."""

from __future__ import annotations

import re
from pathlib import Path

from exporter.config import load_config
from tests.support.binaries import REPO_ROOT

ENVIRONMENT = {
    "HL_RELAY_BEARER_TOKEN": "token",
    "HL_TELEGRAM_BOT_TOKEN": "123:ABC",
    "HL_TELEGRAM_CHAT_ID": "-1001234567890",
    "HL_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/secret",
}


def test_documented_relay_section_loads(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docs" / "relay.md").read_text()
    match = re.search(r"### Configuration \(`relay:` section.*?```yaml\n(.*?)```", text, re.DOTALL)
    assert match is not None, "docs/relay.md lost the relay's configuration example"
    config_file = tmp_path / "config.yaml"
    config_file.write_text(match.group(1))
    relay = load_config(config_file, environ=ENVIRONMENT).relay
    assert relay is not None
    assert relay.telegram is not None
    assert relay.discord is not None
    assert relay.bearer_token is not None
    assert relay.bearer_token.get_secret_value() == "token"
    assert str(relay.telegram.chat_id) == "-1001234567890"
    assert [(w.messages, w.period_seconds) for w in relay.telegram.pacing] == [(1, 1.0), (20, 60.0)]
    assert str(relay.grafana_base_url) == "https://grafana.example.org/"
