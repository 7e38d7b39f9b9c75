"""Debian's headless Chromium (scripts/install-chromium.sh): a page's DOM after its scripts ran, and a
screenshot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise FileNotFoundError("chromium not on PATH: run scripts/install-chromium.sh (make pytest does)")
    return found


def _run(args: list[str], page: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            # Root in CI's container: Chromium's sandbox needs user namespaces it does not have.
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            # No network: the report must open without any.
            "--proxy-server=127.0.0.1:9",
            "--virtual-time-budget=10000",
            *args,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


def rendered_dom(page: Path) -> str:
    return _run(["--dump-dom"], page).stdout.decode()


def screenshot(page: Path, output: Path, width: int = 1600, height: int = 2400) -> Path:
    _run([f"--screenshot={output}", f"--window-size={width},{height}"], page)
    return output
