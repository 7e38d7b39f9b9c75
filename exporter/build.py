"""Version and source revision of the running build, shared by the three commands."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources

REVISION_ENV = "HYPERLIQUID_EXPORTER_REVISION"
# Written into the package by `make wheel` and by the Docker build (git's commit id); absent in a
# source checkout installed in editable mode, where the environment variable or "unknown" applies.
REVISION_FILE = "REVISION"


@cache
def packaged_revision() -> str | None:
    try:
        text = resources.files("exporter").joinpath(REVISION_FILE).read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text.strip() or None


def revision() -> str:
    return os.environ.get(REVISION_ENV) or packaged_revision() or "unknown"
