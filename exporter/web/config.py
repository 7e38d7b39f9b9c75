"""The `--web.config.file` format of prometheus/exporter-toolkit (the file node_exporter and Prometheus read).

    tls_server_config:
      cert_file: server.crt          # relative paths are relative to this file's directory
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert   # optional, with client_ca_file
      client_ca_file: ca.crt
      min_version: TLS12             # TLS12 or TLS13 (TLS10/TLS11 are refused: OpenSSL would refuse them)
    http_server_config:
      headers: {X-Frame-Options: deny}
    basic_auth_users:
      alice: $2b$12$...              # bcrypt hash of the password

Keys of the format that this server cannot honour (cipher_suites, curve_preferences, ...) are refused with
a message instead of being ignored silently.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from exporter.redaction import redact_secret_shapes

# A check at cost 14 takes about a second of CPU (doubling per step); 31 would take years and hang the
# reload that verifies it. exporter-toolkit's documentation suggests cost 10.
MAX_BCRYPT_COST = 14
_BCRYPT_HASH = re.compile(r"\$2[abxy]?\$(?P<cost>\d\d)\$[./A-Za-z0-9]{53}")
# OpenSSL's default security level refuses TLS 1.0 and 1.1 handshakes: accepting them in the file would
# only move the error to every client's first handshake.
REFUSED_TLS_VERSIONS = frozenset({"TLS10", "TLS11"})
TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
CLIENT_AUTH_TYPES = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_TLS_KEYS = {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version"}
_TLS_UNSUPPORTED = frozenset(
    {
        "cert",
        "key",
        "client_allowed_sans",
        "cipher_suites",
        "curve_preferences",
        "prefer_server_cipher_suites",
    }
)
_HTTP_KEYS = {"headers", "http2"}
_TOP_KEYS = {"tls_server_config", "http_server_config", "basic_auth_users"}


class WebConfigError(Exception):
    """The web configuration file is unreadable or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class TLSConfig:
    cert_file: Path
    key_file: Path
    client_auth_type: str = "NoClientCert"
    client_ca_file: Path | None = None
    min_version: str = "TLS12"
    max_version: str | None = None

    def apply_to(self, context: ssl.SSLContext) -> None:
        """Load certificate, key and client-CA into context (also on a live context, for a reload)."""
        context.load_cert_chain(self.cert_file, self.key_file)
        context.minimum_version = TLS_VERSIONS[self.min_version]
        if self.max_version is not None:
            context.maximum_version = TLS_VERSIONS[self.max_version]
        context.verify_mode = CLIENT_AUTH_TYPES[self.client_auth_type]
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=self.client_ca_file)

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.apply_to(context)
        return context


@dataclass(frozen=True)
class WebConfig:
    tls: TLSConfig | None = None
    basic_auth_users: Mapping[str, bytes] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


def load_web_config(path: str | Path | None) -> WebConfig:
    """The parsed file, or the empty configuration (plain HTTP, no auth) when path is None or empty."""
    if not path:
        return WebConfig()
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WebConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise WebConfigError(f"{path}: not valid YAML: {exc}") from exc
    if document is None:
        return WebConfig()
    try:
        return _parse(document, path.parent)
    except WebConfigError as exc:
        raise WebConfigError(f"{path}: {redact_secret_shapes(str(exc))}") from None


def _free_mapping(value: Any, where: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise WebConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _mapping(
    value: Any, where: str, allowed: set[str], unsupported: frozenset[str] = frozenset()
) -> dict[str, Any]:
    mapping = _free_mapping(value, where)
    for key in mapping:
        if key in unsupported:
            raise WebConfigError(f"{where}.{key}: not supported by this server; remove it")
        if key not in allowed:
            raise WebConfigError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")
    return mapping


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise WebConfigError(f"{where}: expected a non-empty string")
    return value


def _parse(document: Any, base: Path) -> WebConfig:
    top = _mapping(document, "web config", _TOP_KEYS)
    tls = _parse_tls(top["tls_server_config"], base) if top.get("tls_server_config") else None
    headers: dict[str, str] = {}
    if top.get("http_server_config"):
        http = _mapping(top["http_server_config"], "http_server_config", _HTTP_KEYS)
        raw_headers = _free_mapping(http.get("headers") or {}, "http_server_config.headers")
        headers = {
            str(name): _string(value, f"http_server_config.headers.{name}")
            for name, value in raw_headers.items()
        }
    users: dict[str, bytes] = {}
    for user, hashed in _free_mapping(top.get("basic_auth_users") or {}, "basic_auth_users").items():
        where = f"basic_auth_users.{user}"
        users[str(user)] = _bcrypt_hash(_string(hashed, where), where)
    return WebConfig(tls=tls, basic_auth_users=users, headers=headers)


def _bcrypt_hash(value: str, where: str) -> bytes:
    """The hash, checked by its shape and cost only: a check at the stated cost could take years."""
    hashed = value.encode()
    match = _BCRYPT_HASH.fullmatch(value)
    if match is None:
        raise WebConfigError(
            f"{where}: not a bcrypt hash (expected $2a$/$2b$/$2y$...; make one with "
            '`htpasswd -nBC 10 "" | tr -d \':\\n\'` or python -c "import bcrypt; ...")'
        )
    cost = int(match["cost"])
    if not 4 <= cost <= MAX_BCRYPT_COST:
        raise WebConfigError(
            f"{where}: bcrypt cost {cost} is outside 4..{MAX_BCRYPT_COST} (each step doubles the work of "
            f"every login check; cost 10 is usual): hash the password again with a cost of at most "
            f"{MAX_BCRYPT_COST}"
        )
    try:
        bcrypt.checkpw(b"", hashed)  # cheap now that the cost is bounded; catches a malformed salt
    except ValueError:
        raise WebConfigError(f"{where}: not a valid bcrypt hash (malformed salt or digest)") from None
    return hashed


def _parse_tls(value: Any, base: Path) -> TLSConfig:
    tls = _mapping(value, "tls_server_config", _TLS_KEYS, _TLS_UNSUPPORTED)
    for key in ("cert_file", "key_file"):
        if key not in tls:
            raise WebConfigError(f"tls_server_config.{key}: required when tls_server_config is set")
    auth_type = tls.get("client_auth_type") or "NoClientCert"
    if auth_type not in CLIENT_AUTH_TYPES:
        raise WebConfigError(
            f"tls_server_config.client_auth_type: {auth_type!r} is not one of {', '.join(CLIENT_AUTH_TYPES)}"
        )
    ca_file = tls.get("client_ca_file")
    if auth_type in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert") and not ca_file:
        raise WebConfigError(f"tls_server_config.client_ca_file: required with client_auth_type {auth_type}")
    versions = {}
    for key in ("min_version", "max_version"):
        if tls.get(key) is not None and tls[key] not in TLS_VERSIONS:
            raise WebConfigError(
                f"tls_server_config.{key}: {tls[key]!r} is not one of {', '.join(TLS_VERSIONS)}"
            )
        if tls.get(key) in REFUSED_TLS_VERSIONS:
            raise WebConfigError(
                f"tls_server_config.{key}: {tls[key]} is refused by OpenSSL's security level on this "
                "system (no handshake would succeed); use TLS12 or TLS13"
            )
        versions[key] = tls.get(key)
    lowest, highest = versions["min_version"] or "TLS12", versions["max_version"]
    if highest is not None and TLS_VERSIONS[lowest] > TLS_VERSIONS[highest]:
        raise WebConfigError(
            f"tls_server_config: min_version {lowest} is above max_version {highest} "
            "(no handshake would succeed)"
        )
    config = TLSConfig(
        cert_file=base / _string(tls["cert_file"], "tls_server_config.cert_file"),
        key_file=base / _string(tls["key_file"], "tls_server_config.key_file"),
        client_auth_type=auth_type,
        client_ca_file=base / _string(ca_file, "tls_server_config.client_ca_file") if ca_file else None,
        min_version=versions["min_version"] or "TLS12",
        max_version=versions["max_version"],
    )
    try:
        config.context()
    except (OSError, ssl.SSLError) as exc:
        raise WebConfigError(f"tls_server_config: cannot load certificate, key or CA: {exc}") from exc
    return config
