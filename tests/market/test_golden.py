"""End to end: the real `hyperliquid-exporter` against a loopback, mainnet-like venue (230 perps, four
reference exchanges). /metrics, with volatile values filtered, must equal the golden file and pass
the real `promtool check metrics` with nothing to report.

Regenerate the golden file after an intended change with HYPERLIQUID_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.market.fake_venue import FakeVenue, exporter_config, serving
from tests.market.samples import samples, value
from tests.support.binaries import REPO_ROOT, find_binary
from tests.support.processes import free_port, running

GOLDEN_DIR = Path(__file__).parent / "golden"
# The console script's module, run from this tree (whatever checkout the venv was installed from).
EXPORTER = [sys.executable, "-m", "exporter.cli"]
# Families whose values depend on time or on how many polls happened: kept with their headers,
# without samples.
VOLATILE = frozenset(
    {
        "hyperliquid_external_source_last_success_timestamp_seconds",
        "hyperliquid_exporter_collector_last_success_timestamp_seconds",
        "hyperliquid_exporter_collector_data_expiry_timestamp_seconds",
        "hyperliquid_exporter_collector_duration_seconds",
        "hyperliquid_exporter_api_weight_used_total",
        "hyperliquid_exporter_api_requests_total",
        "hyperliquid_exporter_api_request_errors_total",
        "hyperliquid_exporter_api_request_duration_seconds",
        "hyperliquid_exporter_event_loop_lag_seconds",
        "hyperliquid_exporter_build_info",
        # The replica reads what the source pollers recorded: empty or full depending on who polled first.
        "hyperliquid_oracle_replica_price",
        "hyperliquid_oracle_replica_source_weight",
    }
)


# The shared web layer's families (process and Python runtime metrics, reload outcome): machine- and
# run-dependent, checked in tests/web; left out of the golden files entirely.
WEB_LAYER_PREFIXES = ("process_", "python_", "hyperliquid_exporter_config_")


def normalise(exposition: str) -> str:
    """Families sorted by name, samples sorted within each, volatile samples dropped.

    Pollers publish in whichever order their upstreams answer; Prometheus reads order-free.
    """
    families: dict[str, list[str]] = {}
    headers: dict[str, list[str]] = {}
    current = ""
    for line in exposition.splitlines():
        if line.startswith("# HELP "):
            current = line.split(" ", 3)[2]
            headers[current] = [line]
            families[current] = []
        elif line.startswith("# TYPE "):
            headers[current].append(line)
        elif line and current not in VOLATILE:
            families[current].append(line)
    return "".join(
        "\n".join([*headers[name], *sorted(families[name])]) + "\n"
        for name in sorted(families)
        if not name.startswith(WEB_LAYER_PREFIXES)
    )


def write_config(path: Path, body: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


@pytest.fixture
def venue() -> Iterator[tuple[FakeVenue, str]]:
    fake = FakeVenue()
    with serving(fake.app()) as url:
        yield fake, url


# Scenario name (golden file stem) -> how the venue misbehaves.
SCENARIOS = {
    "mainnet_like": {},
    # Binance and Coinbase region-blocked (451, 403); OKX without its USDC-USDT pair still publishes its
    # USDT quotes (the oracle's currency) but no stablecoin price.
    "sources_failing": {"blocked": {"binance", "coinbase"}, "without_conversion_pair": {"okx"}},
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_golden_exposition_and_promtool(venue: tuple[FakeVenue, str], tmp_path: Path, scenario: str) -> None:
    fake, url = venue
    for attribute, setting in SCENARIOS[scenario].items():
        setattr(fake, attribute, setting)
    config = write_config(tmp_path / "config.yaml", exporter_config(url))
    port = free_port()
    argv = [*EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    with running(argv, f"http://127.0.0.1:{port}/-/ready", tmp_path / "exporter.log", cwd=REPO_ROOT):
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text

    lint = subprocess.run(
        [find_binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")

    found = samples(text)
    assert value(found, "hyperliquid_up") == 1.0
    for source in ("binance", "okx", "bybit", "coinbase"):
        stamp = value(found, "hyperliquid_external_source_last_success_timestamp_seconds", source=source)
        up = value(found, "hyperliquid_external_source_up", source=source)
        assert stamp is not None
        assert stamp == 0.0 if up == 0.0 else abs(stamp - time.time()) < 60

    golden = GOLDEN_DIR / f"{scenario}.prom"
    actual = normalise(text)
    if os.environ.get("HYPERLIQUID_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual)
    assert actual == golden.read_text(), f"/metrics differs from {golden.name}; see the diff above"


FAILURES = ["http_500", "http_429", "invalid_json", "wrong_shape", "slow"]


def test_failing_upstream_leaves_the_process_serving_with_success_0(
    venue: tuple[FakeVenue, str], tmp_path: Path
) -> None:
    fake, url = venue
    body = exporter_config(
        url,
        hyperliquid={
            "api_url": url,
            "timeout_seconds": 0.3,
            "max_retries": 0,
            "weight_limit_per_minute": 100000,
            "weight_budget_share": 1.0,
        },
        reference_prices={"enabled": False},
    )
    body["collectors"]["market"] = {"interval_seconds": 0.2, "open_interest_cap_interval_seconds": 0.2}
    config = write_config(tmp_path / "config.yaml", body)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [*EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]

    def metrics() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        return samples(httpx.get(f"{base}/metrics", timeout=5).text)

    def wait_for(name: str, expected: float, **labels: str) -> None:
        deadline = time.monotonic() + 15
        while value(metrics(), name, **labels) != expected:
            assert time.monotonic() < deadline, f"{name}{labels} never became {expected}"
            time.sleep(0.05)

    with running(argv, f"{base}/-/ready", tmp_path / "exporter.log", cwd=REPO_ROOT) as process:
        wait_for("hyperliquid_up", 1.0)
        for failure in FAILURES:
            fake.info_failure = failure
            wait_for("hyperliquid_up", 0.0)
            found = metrics()
            assert value(found, "hyperliquid_exporter_collector_success", collector="market") == 0.0
            assert httpx.get(f"{base}/-/healthy", timeout=5).status_code == 200
            assert httpx.get(f"{base}/-/ready", timeout=5).status_code == 200
            fake.info_failure = None
            wait_for("hyperliquid_up", 1.0)
        assert process.poll() is None
    log = (tmp_path / "exporter.log").read_text()
    assert "Traceback" not in log
