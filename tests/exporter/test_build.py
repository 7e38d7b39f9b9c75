"""build_info's revision: from the environment, else from the file a wheel or image build writes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from exporter import build
from tests.support.binaries import REPO_ROOT


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    build.packaged_revision.cache_clear()


def package_with_revision(monkeypatch: pytest.MonkeyPatch, directory: Path, text: str | None) -> None:
    if text is not None:
        (directory / build.REVISION_FILE).write_text(text, encoding="ascii")
    monkeypatch.setattr("exporter.build.resources.files", lambda _package: directory)
    monkeypatch.delenv(build.REVISION_ENV, raising=False)


def test_revision_written_at_build_time_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package_with_revision(monkeypatch, tmp_path, "0123abcd\n")
    assert build.revision() == "0123abcd"


def test_environment_overrides_the_packaged_revision(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package_with_revision(monkeypatch, tmp_path, "0123abcd\n")
    monkeypatch.setenv(build.REVISION_ENV, "feedbeef")
    assert build.revision() == "feedbeef"


@pytest.mark.parametrize("text", [None, "", "\n"])
def test_revision_is_unknown_without_either(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str | None
) -> None:
    package_with_revision(monkeypatch, tmp_path, text)
    assert build.revision() == "unknown"


def test_wheel_and_image_builds_ship_the_revision_file() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert build.REVISION_FILE in pyproject["tool"]["setuptools"]["package-data"]["exporter"]
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert f"> exporter/{build.REVISION_FILE}" in dockerfile
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert f"git rev-parse HEAD > exporter/{build.REVISION_FILE}" in makefile
