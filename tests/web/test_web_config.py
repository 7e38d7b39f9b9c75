"""The exporter-toolkit web config file: what loads, and what is refused with a message naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exporter.web.config import WebConfigError, load_web_config
from tests.web.tls import bcrypt_hash, self_signed, write_web_config


def test_empty_path_and_empty_file_mean_plain_http(tmp_path: Path) -> None:
    assert load_web_config("").tls is None
    empty = tmp_path / "web.yml"
    empty.write_text("")
    assert load_web_config(empty).basic_auth_users == {}


def test_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    certificate = self_signed(tmp_path)
    config = load_web_config(write_web_config(tmp_path / "web.yml", certificate, {"alice": "pw"}))
    assert config.tls is not None
    assert config.tls.cert_file == tmp_path / "server.crt"
    assert config.tls.key_file == tmp_path / "server.key"
    assert set(config.basic_auth_users) == {"alice"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("basic_auth_users: {alice: plain-text}", "basic_auth_users.alice: not a bcrypt hash"),
        ("basic_auth_user: {}", "web config.basic_auth_user: unknown key"),
        ("tls_server_config: {cert_file: a.crt}", "tls_server_config.key_file: required"),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key, cipher_suites: [x]}",
            "tls_server_config.cipher_suites: not supported",
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key, client_auth_type: Sometimes}",
            "client_auth_type: 'Sometimes' is not one of",
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key,"
            " client_auth_type: RequireAndVerifyClientCert}",
            "client_ca_file: required",
        ),
        ("tls_server_config: {cert_file: missing.crt, key_file: missing.key}", "cannot load certificate"),
        ("tls_server_config: [cert_file]", "tls_server_config: expected a mapping"),
        ("basic_auth_users: [", "not valid YAML"),
        (
            "basic_auth_users: {alice: '$2b$31$" + "a" * 53 + "'}",
            "basic_auth_users.alice: bcrypt cost 31 is outside 4..14",
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key, min_version: TLS13, max_version: TLS12}",
            "min_version TLS13 is above max_version TLS12",
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key, min_version: TLS10}",
            "min_version: TLS10 is refused by OpenSSL",
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key, max_version: TLS11}",
            "max_version: TLS11 is refused by OpenSSL",
        ),
    ],
)
def test_refused_with_the_key_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "web.yml"
    path.write_text(text)
    with pytest.raises(WebConfigError, match=r"web\.yml") as raised:
        load_web_config(path)
    assert message in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WebConfigError, match="cannot read"):
        load_web_config(tmp_path / "absent.yml")


def test_hash_variants_of_htpasswd_are_accepted(tmp_path: Path) -> None:
    # htpasswd -B writes $2y$; Python's bcrypt writes $2b$: exporter-toolkit accepts both.
    hashed = bcrypt_hash("pw").replace("$2b$", "$2y$", 1)
    path = tmp_path / "web.yml"
    path.write_text(f"basic_auth_users:\n  alice: '{hashed}'\n")
    assert load_web_config(path).basic_auth_users["alice"] == hashed.encode()


def test_config_check_also_checks_the_web_config(tmp_path: Path) -> None:
    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users: {alice: plain}\n")
    empty = tmp_path / "config.yaml"
    empty.write_text("")
    command = [sys.executable, "-m", "exporter.cli", f"--config.file={empty}", "--config.check"]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    refused = subprocess.run(
        [*command, f"--web.config.file={web}"], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1
    assert "basic_auth_users.alice: not a bcrypt hash" in refused.stderr
