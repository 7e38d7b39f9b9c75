"""The shipped config.yaml on a machine without internet: serves hyperliquid_up 0, logs why, keeps running."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port, running

CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused at once


def test_exporter_without_upstream_keeps_serving(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "HL_API_URL": CLOSED,
        "HL_EVM_RPC_URL": CLOSED,
        "HL_BINANCE_URL": CLOSED,
        "HL_OKX_URL": CLOSED,
        "HL_BYBIT_URL": CLOSED,
        "HL_COINBASE_URL": CLOSED,
        "HL_KRAKEN_URL": CLOSED,
        "HL_KUCOIN_URL": CLOSED,
        "HL_GATE_URL": CLOSED,
        "HL_MEXC_URL": CLOSED,
        "HL_BINANCE_PERP_URL": CLOSED,
        "HL_OKX_PERP_URL": CLOSED,
        "HL_BYBIT_PERP_URL": CLOSED,
        "HL_GATE_PERP_URL": CLOSED,
        "HL_MEXC_PERP_URL": CLOSED,
    }
    log_path = tmp_path / "exporter.log"
    argv = [
        str(REPO_ROOT / ".venv" / "bin" / "hyperliquid-exporter"),
        f"--config.file={REPO_ROOT / 'config.yaml'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with running(argv, f"http://127.0.0.1:{port}/-/healthy", log_path, env=env) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=2).status_code == 200:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("exporter never became ready:\n" + log_path.read_text())
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        assert "\nhyperliquid_up 0.0\n" in metrics
        assert 'hyperliquid_exporter_collector_success{collector="market"} 0.0' in metrics
        assert process.poll() is None
        log = log_path.read_text()
        assert 'level=warn logger=exporter.scheduler msg="poller market' in log
        assert "metaAndAssetCtxs: cannot reach http://127.0.0.1:9/info" in log
        assert "Traceback" not in log
