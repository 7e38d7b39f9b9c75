"""Every panel query executed by a real Prometheus that evaluates the project's rules.

Two loopback "exporter replicas" serve the same synthetic exposition (as an HA pair of exporters would) and
a third serves relay metrics. Prometheus scrapes them every second with rules/*.yml loaded. Each query must
run without error (joins that match many-to-many, or duplicate series across replicas, fail here), and
each must return data unless it needs more history than this short run has.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml

from tests.grafana.dashboards import PanelQuery, panel_queries
from tests.grafana.promql import needs_history, recording_rule_expressions
from tests.grafana.synthetic_exposition import exporter_exposition, relay_exposition
from tests.support.binaries import REPO_ROOT, find_binary
from tests.support.processes import free_port, running

# Rules that read the outcome of `for:` clauses or thresholds (firing alerts) have nothing to show when the
# synthetic venue is calm; they are run for errors only.
READS_ALERT_STATE = ("ALERTS",)


def _serve(render: Callable[[], str]) -> tuple[http.server.HTTPServer, threading.Thread]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("prometheus")
    servers = [_serve(exporter_exposition), _serve(exporter_exposition), _serve(relay_exposition)]
    exporters = [f"127.0.0.1:{server.server_address[1]}" for server, _ in servers[:2]]
    relay = f"127.0.0.1:{servers[2][0].server_address[1]}"
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(REPO_ROOT / "rules" / "*.yml")],
        "scrape_configs": [
            {"job_name": "hyperliquid", "static_configs": [{"targets": exporters}]},
            {"job_name": "hyperliquid-relay", "static_configs": [{"targets": [relay]}]},
        ],
    }
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    argv = [
        find_binary("prometheus"),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        with running(argv, f"{url}/-/ready", workdir / "prometheus.log"):
            _wait_for_rules(url)
            yield url
    finally:
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join()


# One client for every query (a new client per call builds a TLS context: about 27 ms of CPU each).
_HTTP = httpx.Client(timeout=10)


def _query(url: str, expr: str) -> dict[str, Any]:
    response = _HTTP.get(f"{url}/api/v1/query", params={"query": expr})
    body: dict[str, Any] = response.json()
    return body


def _wait_for_rules(url: str, timeout: float = 30.0) -> None:
    """Until both replicas are scraped and the rules' last layer (the risk score) has been evaluated."""
    deadline = time.monotonic() + timeout
    ready = 'count(up{job="hyperliquid"} == 1) == 2 and on() count(hyperliquid:risk_score:max) > 0'
    while time.monotonic() < deadline:
        if _query(url, ready)["data"]["result"]:
            time.sleep(2)  # two more evaluation rounds, so every rule group has seen the other groups' output
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"Prometheus at {url} did not scrape both replicas and evaluate the rules in {timeout}s"
    )


@pytest.fixture(scope="module")
def results(prometheus_url: str) -> list[tuple[PanelQuery, dict[str, Any]]]:
    return [(query, _query(prometheus_url, query.expr)) for query in panel_queries()]


def test_every_panel_query_runs_without_error(results: list[tuple[PanelQuery, dict[str, Any]]]) -> None:
    failures = [
        f"{query.where}: {body.get('errorType')}: {body.get('error')}"
        for query, body in results
        if body.get("status") != "success"
    ]
    assert not failures, "\n".join(failures)


def test_every_panel_query_returns_data_unless_it_needs_history(
    results: list[tuple[PanelQuery, dict[str, Any]]],
) -> None:
    rules = recording_rule_expressions(REPO_ROOT / "rules")
    empty = [
        query.where
        for query, body in results
        if body.get("status") == "success"
        and not body["data"]["result"]
        and not needs_history(query.expr, rules)
        and not any(name in query.expr for name in READS_ALERT_STATE)
    ]
    assert not empty, "no data for:\n" + "\n".join(empty)


def test_replicas_do_not_double_hlp_totals(prometheus_url: str) -> None:
    """Two replicas report the same HLP positions; the dashboards' totals must count them once."""
    raw = _query(prometheus_url, 'count(hyperliquid_account_position_notional_usd{coin="BTC"})')
    assert float(raw["data"]["result"][0]["value"][1]) == 6, "three accounts, each seen by two replicas"
    total_query = next(q for q in panel_queries() if q.panel_title == "HLP unrealized PnL")
    total = _query(prometheus_url, total_query.expr)["data"]["result"]
    # HLP Strategy A loses 1,500 and the liquidator gains 300 per coin, over three coins.
    assert float(total[0]["value"][1]) == pytest.approx(3 * (-1_500 + 300))
