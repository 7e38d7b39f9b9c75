"""The built wheel alone runs every command the docs and compose use: no file of the checkout needed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.alertmanager.rendering import environment_for
from tests.support.binaries import ALERTMANAGER_DIR, REPO_ROOT

SCRIPTS: dict[str, str] = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
RUN_SCRIPT = """
import importlib, sys
site, name, target, *arguments = sys.argv[1:]
sys.path.insert(0, site)
module_name, function = target.split(":")
module = importlib.import_module(module_name)
assert module.__file__.startswith(site), f"{module_name} came from {module.__file__}, not the wheel"
sys.argv = [name, *arguments]
sys.exit(getattr(module, function)())
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built and installed into an otherwise empty directory."""
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(work), str(REPO_ROOT)], check=True)
    (wheel,) = work.glob("hyperliquid_exporter-*.whl")
    site = work / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-compile", "--target", str(site), str(wheel)], check=True
    )
    return site


def run_installed(site: Path, name: str, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # -I: neither the checkout (the current directory) nor PYTHONPATH is on sys.path.
    command = [sys.executable, "-I", "-c", RUN_SCRIPT, str(site), name, SCRIPTS[name], *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_the_deployment_tools_are_installed_commands() -> None:
    assert SCRIPTS["hyperliquid-alertmanager-config"] == "exporter.deploy.alertmanager_config:main"
    assert SCRIPTS["hyperliquid-prometheus-config"] == "exporter.deploy.prometheus_config:main"
    assert not (REPO_ROOT / "alertmanager" / "__init__.py").exists()
    assert not list((REPO_ROOT / "deploy").glob("*.py")), "deploy/ holds configuration only"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_command_starts_from_the_wheel(installed: Path, tmp_path: Path, name: str) -> None:
    result = run_installed(installed, name, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_the_wheel_carries_the_scenarios(installed: Path, tmp_path: Path) -> None:
    result = run_installed(installed, "hyperliquid-replay", "--list-scenarios", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cascade-2025-10-10" in result.stdout.split()


def test_the_installed_renderer_renders_the_shipped_alertmanager_config(
    installed: Path, tmp_path: Path
) -> None:
    environment = environment_for("http://127.0.0.1:9")
    output = tmp_path / "rendered"
    command = [sys.executable, "-I", "-c", RUN_SCRIPT, str(installed), "hyperliquid-alertmanager-config"]
    result = subprocess.run(
        [
            *command,
            SCRIPTS["hyperliquid-alertmanager-config"],
            f"--source-dir={ALERTMANAGER_DIR}",
            f"--output-dir={output}",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert environment["HL_RELAY_BEARER_TOKEN"] in (output / "alertmanager.yml").read_text()
