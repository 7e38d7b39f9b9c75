"""The rendered configuration passes amtool check-config and keeps to what 0.25 and later accept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from exporter.env_placeholders import placeholder_names
from tests.alertmanager.rendering import RELAY_TOKEN, amtool, environment_for
from tests.support.binaries import ALERTMANAGER_DIR, REPO_ROOT

# Deprecated since 0.22 (replaced by `matchers`); *_file fields that 0.25 lacks for these receivers.
FORBIDDEN_KEYS = {
    "match",
    "match_re",
    "source_match",
    "source_match_re",
    "target_match",
    "target_match_re",
    "url_file",
    "webhook_url_file",
    "bot_token_file",
}


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


def test_amtool_accepts_rendered_config(rendered_config: Path) -> None:
    result = amtool("check-config", str(rendered_config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "6 receivers" in result.stdout


def test_rendered_config_has_no_placeholders_and_carries_the_secrets(rendered_config: Path) -> None:
    text = rendered_config.read_text()
    assert "${" not in text
    for template in (rendered_config.parent / "templates").glob("*.tmpl"):
        assert "${" not in template.read_text(), template.name
    config = yaml.safe_load(text)
    relay = {receiver["name"]: receiver for receiver in config["receivers"]}["relay-telegram"]
    assert relay["webhook_configs"][0]["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials": RELAY_TOKEN,
    }


def test_source_config_uses_no_deprecated_or_unsupported_keys() -> None:
    config = yaml.safe_load((ALERTMANAGER_DIR / "alertmanager.yml").read_text())
    assert not keys_in(config) & FORBIDDEN_KEYS


def string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in string_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in string_values(item)]
    return []


def test_placeholders_are_the_documented_variables() -> None:
    config = yaml.safe_load((ALERTMANAGER_DIR / "alertmanager.yml").read_text())
    templates = [path.read_text() for path in (ALERTMANAGER_DIR / "templates").glob("*.tmpl")]
    names = {name for text in [*string_values(config), *templates] for name in placeholder_names(text)}
    assert {"HL_RELAY_BEARER_TOKEN", "HL_SLACK_WEBHOOK_URL", "HL_WEBHOOK_URL", "HL_HEARTBEAT_URL"} <= names
    assert names == set(environment_for("http://127.0.0.1:9"))
    documentation = "".join(path.read_text() for path in (REPO_ROOT / "docs").glob("*.md"))
    undocumented = sorted(name for name in names if f"`{name}`" not in documentation)
    assert not undocumented, f"docs/ does not document {undocumented}"
