"""Filling secrets at start-up: every missing variable named, values never change the YAML's structure."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from exporter.deploy.alertmanager_config import (
    RenderError,
    main,
    render_config_text,
    render_directory,
    render_template_text,
)
from tests.alertmanager.rendering import environment_for
from tests.support.binaries import ALERTMANAGER_DIR, find_binary

CONFIG = """
receivers:
  - name: slack
    slack_configs:
      - api_url: '${SLACK}'
        channel: '${CHANNEL:-#alerts}'
  - name: relay
    webhook_configs:
      - url: '${RELAY:-http://127.0.0.1:9763}/webhook/telegram'
        http_config: {authorization: {credentials: '${TOKEN}'}}
"""


def test_fills_values_and_defaults() -> None:
    rendered = yaml.safe_load(
        render_config_text(CONFIG, {"SLACK": "https://hooks.slack.test/x", "TOKEN": "t0k"})
    )
    slack, relay = rendered["receivers"]
    assert slack["slack_configs"][0] == {"api_url": "https://hooks.slack.test/x", "channel": "#alerts"}
    assert relay["webhook_configs"][0]["url"] == "http://127.0.0.1:9763/webhook/telegram"
    assert relay["webhook_configs"][0]["http_config"]["authorization"]["credentials"] == "t0k"


def test_names_every_missing_variable_with_its_key_path() -> None:
    with pytest.raises(RenderError) as error:
        render_config_text(CONFIG, {"RELAY": "http://relay:9763"}, "am.yml")
    message = str(error.value)
    assert "receivers[name=slack].slack_configs[0].api_url: environment variable SLACK is not set" in message
    assert "http_config.authorization.credentials: environment variable TOKEN is not set" in message


def test_empty_value_is_refused_even_with_a_default() -> None:
    with pytest.raises(RenderError, match="environment variable CHANNEL is empty"):
        render_config_text(CONFIG, {"SLACK": "https://hooks.slack.test/x", "TOKEN": "t", "CHANNEL": ""})


def test_malformed_placeholder_is_refused() -> None:
    with pytest.raises(RenderError, match=r"malformed placeholder '\$\{SLACK-URL\}'"):
        render_config_text("url: '${SLACK-URL}'", {})


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(RenderError, match="the top level must be a mapping, got list"):
        render_config_text("- a\n- b\n", {})


@given(secret=st.text(min_size=1).filter(lambda text: "\x00" not in text))
@example(secret="null")
@example(secret="true")
@example(secret="0x1f")
@example(secret="\x85")  # NEL: a line break to YAML when emitted raw
@example(secret="a: b\n- c")
@example(secret="'\"# not a comment")
def test_a_secret_is_one_value_whatever_it_contains(secret: str) -> None:
    rendered = render_config_text(CONFIG, {"SLACK": "https://hooks.slack.test/x", "TOKEN": secret})
    document = yaml.safe_load(rendered)
    credentials = document["receivers"][1]["webhook_configs"][0]["http_config"]["authorization"][
        "credentials"
    ]
    assert credentials == secret
    assert [receiver["name"] for receiver in document["receivers"]] == ["slack", "relay"]


def test_template_refuses_values_that_would_inject_template_syntax() -> None:
    text = '{{ define "url" }}${GRAFANA:-http://localhost:3000}{{ end }}\n'
    assert render_template_text(text, {}, "t.tmpl") == '{{ define "url" }}http://localhost:3000{{ end }}\n'
    with pytest.raises(RenderError, match=re.escape("line 1: the value of GRAFANA must not contain '{{'")):
        render_template_text(text, {"GRAFANA": "http://x/{{ .ExternalURL }}"}, "t.tmpl")


def test_missing_variables_write_nothing_and_list_every_file(tmp_path: Path) -> None:
    environ = {"HL_GRAFANA_URL": "{{ oops }}"}
    with pytest.raises(RenderError) as error:
        render_directory(ALERTMANAGER_DIR, tmp_path / "out", environ)
    message = str(error.value)
    for name in ("HL_RELAY_BEARER_TOKEN", "HL_SLACK_WEBHOOK_URL", "HL_WEBHOOK_URL", "HL_HEARTBEAT_URL"):
        assert f"environment variable {name} is not set" in message
    assert "common.tmpl" in message
    assert not (tmp_path / "out").exists()


def test_rendered_config_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    config = render_directory(ALERTMANAGER_DIR, tmp_path / "out", environment_for("http://127.0.0.1:9"))
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert sorted(path.name for path in (config.parent / "templates").iterdir()) == sorted(
        path.name for path in (ALERTMANAGER_DIR / "templates").glob("*.tmpl")
    )


def test_command_fails_clearly_on_missing_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--output-dir", str(tmp_path / "out")], environ={}) == 1
    assert "environment variable HL_RELAY_BEARER_TOKEN is not set" in capsys.readouterr().err


def test_command_checks_result_with_amtool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    amtool = find_binary("amtool")
    environ = environment_for("http://127.0.0.1:9")
    assert main(["--output-dir", str(tmp_path / "good"), "--amtool", amtool], environ=environ) == 0
    assert "SUCCESS" in capsys.readouterr().out

    environ["HL_WEBHOOK_URL"] = "not-a-url"
    assert main(["--output-dir", str(tmp_path / "bad"), "--amtool", amtool], environ=environ) == 1
    assert "amtool check-config rejected" in capsys.readouterr().err
