"""Config fixtures: valid-*.yaml must load; invalid-*.yaml must fail with the message in their first line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.cli import main
from exporter.config import ConfigError, load_config
from tests.support.binaries import REPO_ROOT

CONFIGS = Path(__file__).parent / "configs"
ENV = {"TEST_BINANCE_URL": "http://127.0.0.1:1"}


def _expected_message(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <message>'"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("valid-*.yaml")), ids=lambda p: p.name)
def test_valid_configs_load(path: Path) -> None:
    load_config(path, environ=ENV)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("invalid-*.yaml")), ids=lambda p: p.name)
def test_invalid_configs_fail_with_a_specific_message(path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=ENV)
    assert _expected_message(path) in str(caught.value)


def test_shipped_config_loads_with_mainnet_defaults() -> None:
    config = load_config(REPO_ROOT / "config.yaml", environ={})
    assert config.hyperliquid.api_url == "https://api.hyperliquid.xyz"
    assert config.hyperliquid.weight_budget_per_minute == 600
    assert len(config.collectors.accounts.liquidators) == 4
    assert config.reference_prices.symbols["kPEPE"].scale == 1000


def test_environment_overrides_upstream_urls() -> None:
    config = load_config(
        REPO_ROOT / "config.yaml",
        environ={"HL_API_URL": "http://127.0.0.1:9764/", "HL_OKX_URL": "http://127.0.0.1:9764"},
    )
    assert config.hyperliquid.api_url == "http://127.0.0.1:9764"
    assert config.reference_prices.okx.base_url == "http://127.0.0.1:9764"


def test_addresses_are_normalised_to_lower_case() -> None:
    config = load_config(CONFIGS / "valid-testnet.yaml", environ={})
    assert config.collectors.accounts.watched[0].address == "0xf3f496c9486be5924a93d67e98298733bb47057c"


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "two-problems.yaml"
    path.write_text("hyperliquid:\n  timeout_seconds: 0\n  colour: blue\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert f"{path}:2: hyperliquid.timeout_seconds: Input should be greater than 0" in message
    assert f"{path}:3: hyperliquid.colour: unknown key" in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.yaml")


@pytest.fixture
def root_handlers_restored() -> Iterator[None]:
    """main() installs its log handler on the root logger; later tests must not write to this stderr."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


@pytest.mark.usefixtures("root_handlers_restored")
def test_config_check_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config.file", str(REPO_ROOT / "config.yaml"), "--config.check"]) == 0
    assert "configuration is valid" in capsys.readouterr().out
    assert main(["--config.file", str(CONFIGS / "invalid-unknown-key.yaml"), "--config.check"]) == 1
    assert "intervall_seconds: unknown key" in capsys.readouterr().err


def test_shipped_relay_section_is_off_without_secrets_and_on_with_them() -> None:
    quiet = load_config(REPO_ROOT / "config.yaml", environ={})
    assert quiet.relay is not None
    assert (quiet.relay.bearer_token, quiet.relay.telegram, quiet.relay.discord) == (None, None, None)
    configured = load_config(
        REPO_ROOT / "config.yaml",
        environ={
            "HL_RELAY_BEARER_TOKEN": "token",
            "HL_TELEGRAM_BOT_TOKEN": "123:abc",
            "HL_TELEGRAM_CHAT_ID": "-1001234",
            "HL_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/x",
        },
    )
    assert configured.relay is not None
    assert configured.relay.telegram is not None
    assert configured.relay.telegram.chat_id == -1001234
    assert configured.relay.discord is not None


def test_a_telegram_token_without_a_chat_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"relay\.telegram\.chat_id: must be a numeric chat id"):
        load_config(REPO_ROOT / "config.yaml", environ={"HL_TELEGRAM_BOT_TOKEN": "123:abc"})


@pytest.mark.parametrize(
    ("name", "secret"),
    [("invalid-secret-not-shown.yaml", "hunter2"), ("invalid-url-credentials.yaml", "hunter2")],
)
def test_config_errors_never_show_a_secret(name: str, secret: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(CONFIGS / name, environ=ENV)
    assert secret not in str(caught.value)


def test_a_huge_retry_after_is_capped_by_default() -> None:
    config = load_config(REPO_ROOT / "config.yaml", environ={})
    assert config.hyperliquid.retry_after_max_seconds == 10


BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_swapped_environment_variables_never_show_the_token() -> None:
    """A bot token placed in chat_id (the two variables swapped) is not printed with chat_id's error."""
    swapped = {"HL_TELEGRAM_BOT_TOKEN": "-1001234", "HL_TELEGRAM_CHAT_ID": BOT_TOKEN}
    with pytest.raises(ConfigError) as caught:
        load_config(REPO_ROOT / "config.yaml", environ=swapped)
    message = str(caught.value)
    assert "relay.telegram.chat_id: must be a numeric chat id" in message
    assert "comes from the environment" in message
    assert BOT_TOKEN not in message
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in message


def test_a_secret_shaped_value_written_in_the_file_is_not_shown(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "relay:\n  bearer_token: t\n  telegram:\n"
        f"    bot_token: '12345:{'x' * 30}'\n    chat_id: '{BOT_TOKEN}'\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "relay.telegram.chat_id: must be a numeric chat id" in str(caught.value)
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in str(caught.value)
    assert "<redacted>" in str(caught.value)
