"""A throw-away self-signed certificate for 127.0.0.1 and ::1, and exporter-toolkit web config files."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

USER = "prometheus"
PASSWORD = "scrape-secret"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client context trusting this certificate only."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(directory: Path, name: str = "server") -> Certificate:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    # Go (Prometheus) checks the subjectAltName, not the common name.
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=localhost", "-addext",
            "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


def bcrypt_hash(password: str) -> str:
    # Cost 4, the minimum: the format is what matters here, and tests stay fast.
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def write_web_config(
    path: Path, certificate: Certificate | None = None, users: dict[str, str] | None = None
) -> Path:
    """users maps user name to clear password; the file holds their bcrypt hashes."""
    document: dict[str, object] = {}
    if certificate is not None:
        # Relative names, as users write them next to the file.
        document["tls_server_config"] = {
            "cert_file": certificate.cert.name
            if certificate.cert.parent == path.parent
            else str(certificate.cert),
            "key_file": certificate.key.name
            if certificate.key.parent == path.parent
            else str(certificate.key),
        }
    if users:
        document["basic_auth_users"] = {user: bcrypt_hash(password) for user, password in users.items()}
    path.write_text(yaml.safe_dump(document))
    return path
