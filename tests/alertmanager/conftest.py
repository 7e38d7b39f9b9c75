from __future__ import annotations

from pathlib import Path

import pytest

from tests.alertmanager.rendering import render_shipped_config


@pytest.fixture
def rendered_config(tmp_path: Path) -> Path:
    """The shipped alertmanager.yml and templates, filled with test values; the config file's path."""
    return render_shipped_config(tmp_path / "rendered")
