"""The command that runs Debian's Alertmanager build extracted by scripts/install-prometheus-binaries.sh."""

from __future__ import annotations

from pathlib import Path

from tests.support.binaries import find_binary

# Debian's build reads its built-in templates from this fixed path; the install script puts them there.
DEBIAN_TEMPLATES_DIR = Path("/usr/share/prometheus/alertmanager")


def alertmanager_command() -> list[str]:
    if not (DEBIAN_TEMPLATES_DIR / "default.tmpl").is_file():
        raise FileNotFoundError(
            f"{DEBIAN_TEMPLATES_DIR}/default.tmpl is missing: run scripts/install-prometheus-binaries.sh"
        )
    return [find_binary("prometheus-alertmanager")]
