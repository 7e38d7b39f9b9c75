"""Locate the real Prometheus-ecosystem binaries installed by scripts/install-prometheus-binaries.sh."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The Alertmanager configuration the project ships (alertmanager.yml, templates/, route expectations).
ALERTMANAGER_DIR = REPO_ROOT / "alertmanager"
# Real recorded upstream answers and Alertmanager requests (tests/fixtures/README.md: where each came from).
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
# HL_PROMETHEUS_BIN_DIR runs the suite against other builds (scripts/install-prometheus-binaries.sh DIR).
PROMETHEUS_BIN_DIR = Path(
    os.environ.get("HL_PROMETHEUS_BIN_DIR") or REPO_ROOT / ".cache" / "prometheus" / "usr" / "bin"
)


def find_binary(name: str) -> str:
    """Return the path of `name` (prometheus, promtool, prometheus-alertmanager, amtool, ...).

    The project's own download wins over whatever else is on PATH, so tests always run the
    versions CI installs. Fails the test (not skips) when the binary is missing.
    """
    local = PROMETHEUS_BIN_DIR / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found in {PROMETHEUS_BIN_DIR} or on PATH; run scripts/install-prometheus-binaries.sh"
        )
    return found
