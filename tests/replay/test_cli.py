"""The real command: flags, validation exit codes, and a live server on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port, running


def replay_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter.replay.cli", *args]


def test_scenario_check_and_errors() -> None:
    ok = subprocess.run(
        replay_command("--scenario", "calm", "--scenario.check"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0
    assert "scenario calm: OK (235 perps" in ok.stdout
    bad = subprocess.run(
        replay_command("--scenario", "nope", "--scenario.check"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "unknown scenario 'nope'" in bad.stderr
    fault = subprocess.run(
        replay_command("--scenario", "calm", "--fault", "bitfinex:down"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert fault.returncode == 2
    assert "invalid --fault 'bitfinex:down'" in fault.stderr
    listed = subprocess.run(replay_command("--list-scenarios"), cwd=REPO_ROOT, capture_output=True, text=True)
    assert "jelly-2025-03-26" in listed.stdout.split()


def test_live_server_with_speed_offset_and_fault(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = replay_command(
        "--scenario",
        "jelly-2025-03-26",
        f"--web.listen-address=127.0.0.1:{port}",
        "--speed",
        "50",
        "--start-offset",
        "2690",
        "--fault",
        "coinbase:down=503",
        "--no-rate-limit",
    )
    with (
        running(argv, f"{base}/-/healthy", tmp_path / "replay.log", cwd=REPO_ROOT),
        httpx.Client(base_url=base) as client,
    ):
        first = client.get("/_replay/status").json()
        assert first["scenario_time_seconds"] >= 2690
        assert first["speed"] == 50
        assert first["rate_limit"]["enabled"] is False
        elapsed_wall = (first["wall_time_ms"] - first["scenario_zero_wall_ms"]) / 1000
        assert elapsed_wall * 50 == pytest.approx(first["scenario_time_seconds"], abs=0.1)
        # Poll until the delisting at 2,700 s (0.2 s of wall time at speed 50) is visible.
        for _ in range(200):
            meta = client.post("/info", json={"type": "meta"}).json()
            jelly = next(entry for entry in meta["universe"] if entry["name"] == "JELLY")
            if jelly.get("isDelisted"):
                break
            time.sleep(0.05)
        assert jelly.get("isDelisted") is True
        assert client.post("/info", json={"type": "nope"}).status_code == 422
        assert client.get("/v2/prices/BTC-USD/spot").status_code == 503
        assert client.get("/api/v3/ticker/price").status_code == 200
