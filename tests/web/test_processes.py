"""The commands as users run them behind one exporter-toolkit web config file.

A real Prometheus is started with the same `--web.config.file` (so the file format is checked by the
exporter-toolkit itself) and scrapes the exporter and the relay over TLS with basic auth, gzip included.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import yaml

from exporter.listen import bind_listen_sockets
from tests.relay.stack import RELAY_ENV, write_relay_config
from tests.support.binaries import REPO_ROOT, find_binary
from tests.support.processes import free_port
from tests.web.tls import PASSWORD, USER, Certificate, self_signed, write_web_config

UPSTREAM = {"api_url": "http://127.0.0.1:9", "timeout_seconds": 1, "max_retries": 0}
EXPORTER_CONFIG = {"hyperliquid": UPSTREAM, "reference_prices": {"enabled": False}}


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {timeout}s")


@contextlib.contextmanager
def process(
    argv: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def secure_client(certificate: Certificate) -> httpx.Client:
    return httpx.Client(verify=certificate.context(), auth=(USER, PASSWORD), timeout=5)


def test_tls_basic_auth_scrape_by_prometheus_with_the_same_web_config(tmp_path: Path) -> None:
    certificate = self_signed(tmp_path)
    web_config = write_web_config(tmp_path / "web.yml", certificate, {USER: PASSWORD})
    exporter_config = tmp_path / "config.yaml"
    exporter_config.write_text(yaml.safe_dump(EXPORTER_CONFIG))
    relay_config = write_relay_config(tmp_path / "relay.yaml", "http://127.0.0.1:9", tmp_path / "q.db")
    exporter_port, relay_port, prometheus_port = free_port(), free_port(), free_port()
    scrape_auth = {
        "scheme": "https",
        "basic_auth": {"username": USER, "password": PASSWORD},
        "tls_config": {"ca_file": str(certificate.cert)},
    }
    prometheus_config = tmp_path / "prometheus.yml"
    prometheus_config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                "scrape_configs": [
                    {
                        "job_name": "hyperliquid",
                        **scrape_auth,
                        "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
                    },
                    {
                        "job_name": "hyperliquid-relay",
                        **scrape_auth,
                        "metrics_path": "/relay-metrics",
                        # IPv6 loopback: the certificate names ::1 too.
                        "static_configs": [{"targets": [f"[::1]:{relay_port}"]}],
                    },
                ],
            }
        )
    )
    exporter_argv = [
        sys.executable, "-m", "exporter.cli", f"--config.file={exporter_config}",
        f"--web.listen-address=127.0.0.1:{exporter_port}", f"--web.config.file={web_config}",
    ]  # fmt: skip
    relay_argv = [
        sys.executable, "-m", "exporter.relay.cli", f"--config.file={relay_config}",
        f"--web.listen-address=[::1]:{relay_port}", f"--web.config.file={web_config}",
        "--web.telemetry-path=/relay-metrics",
    ]  # fmt: skip
    prometheus_argv = [
        find_binary("prometheus"), f"--config.file={prometheus_config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prometheus_port}",
        f"--web.config.file={web_config}",
    ]  # fmt: skip
    prometheus_url = f"https://127.0.0.1:{prometheus_port}"
    with (
        process(exporter_argv, tmp_path / "exporter.log"),
        process(relay_argv, tmp_path / "relay.log", env={**RELAY_ENV, "PATH": "/usr/bin:/bin"}),
        process(prometheus_argv, tmp_path / "prometheus.log"),
        secure_client(certificate) as client,
    ):

        def all_up() -> bool:
            response = client.get(f"{prometheus_url}/api/v1/query", params={"query": "up"})
            if response.status_code != 200:  # 503 while Prometheus starts
                return False
            answer = response.json()
            ups = {
                (r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in answer["data"]["result"]
            }
            return len(ups) == 2 and set(ups.values()) == {"1"}

        try:
            wait_until(all_up, "both targets up over TLS with basic auth")
        except TimeoutError:
            targets = client.get(f"{prometheus_url}/api/v1/targets").json()["data"]["activeTargets"]
            raise AssertionError([(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets]) from None
        answer = client.get(
            f"{prometheus_url}/api/v1/query",
            params={"query": "count by (job) (process_resident_memory_bytes)"},
        ).json()
        assert {r["metric"]["job"]: r["value"][1] for r in answer["data"]["result"]} == {
            "hyperliquid": "1",
            "hyperliquid-relay": "1",
        }
        # Prometheus itself refuses a scrape without the credentials: the file is really in force there too.
        assert httpx.get(f"{prometheus_url}/-/ready", verify=certificate.context()).status_code == 401

        exporter_url = f"https://127.0.0.1:{exporter_port}"
        assert httpx.get(f"{exporter_url}/metrics", verify=certificate.context()).status_code == 401
        zipped = client.get(f"{exporter_url}/metrics", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert "hyperliquid_exporter_build_info" in zipped.text
        relay_url = f"https://[::1]:{relay_port}"
        # The webhook keeps its bearer token instead of basic auth.
        webhook = httpx.post(f"{relay_url}/webhook/telegram", verify=certificate.context(), content=b"{}")
        assert webhook.status_code == 401
        assert webhook.headers["www-authenticate"] == "Bearer"


def metric(client: httpx.Client, url: str, name: str) -> float | None:
    for line in client.get(url).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_exporter_reloads_its_config_on_sighup_and_post(tmp_path: Path) -> None:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(EXPORTER_CONFIG))
    port = free_port()
    argv = [
        sys.executable, "-m", "exporter.cli", f"--config.file={config_path}",
        f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/metrics"
    budget = "hyperliquid_exporter_api_weight_budget_per_minute"
    reloaded_ok = "hyperliquid_exporter_config_last_reload_successful"
    with process(argv, tmp_path / "exporter.log") as exporter, httpx.Client(timeout=5) as client:
        wait_until(lambda: metric(client, url, budget) == 600.0, "first scrape")

        config_path.write_text(
            yaml.safe_dump(
                {
                    **EXPORTER_CONFIG,
                    "hyperliquid": {**UPSTREAM, "weight_budget_share": 0.25},
                }
            )
        )
        exporter.send_signal(signal.SIGHUP)
        wait_until(lambda: metric(client, url, budget) == 300.0, "reload on SIGHUP")

        config_path.write_text("hyperliquid: {weight_budget_share: 2}\n")
        refused = client.post(f"http://127.0.0.1:{port}/-/reload")
        assert refused.status_code == 500
        assert "hyperliquid.weight_budget_share" in refused.text
        assert metric(client, url, budget) == 300.0
        assert metric(client, url, reloaded_ok) == 0.0

        config_path.write_text(yaml.safe_dump(EXPORTER_CONFIG))
        assert client.post(f"http://127.0.0.1:{port}/-/reload").status_code == 200
        assert metric(client, url, budget) == 600.0
        assert metric(client, url, reloaded_ok) == 1.0
        assert exporter.poll() is None


def test_all_interfaces_means_one_dual_stack_socket() -> None:
    (sock,) = bind_listen_sockets(":0")  # bound, never listening: nothing is exposed
    with sock:
        assert sock.family == socket.AF_INET6
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert sock.getsockname()[0] == "::"


def test_relay_reloads_its_web_config_and_flags_relay_changes_needing_a_restart(tmp_path: Path) -> None:
    web_config = write_web_config(tmp_path / "web.yml", users={"alice": "one"})
    relay_config = write_relay_config(tmp_path / "relay.yaml", "http://127.0.0.1:9", tmp_path / "q.db")
    port = free_port()
    argv = [
        sys.executable, "-m", "exporter.relay.cli", f"--config.file={relay_config}",
        f"--web.listen-address=127.0.0.1:{port}", f"--web.config.file={web_config}",
        "--web.enable-lifecycle",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    reloaded_ok = "hyperliquid_relay_config_last_reload_successful"
    with (
        process(argv, tmp_path / "relay.log", env={**RELAY_ENV, "PATH": "/usr/bin:/bin"}) as relay,
        httpx.Client(timeout=5) as client,
    ):
        wait_until(
            lambda: client.get(f"{url}/-/ready", auth=("alice", "one")).status_code == 200, "relay ready"
        )
        write_web_config(web_config, users={"bob": "two"})
        relay.send_signal(signal.SIGHUP)
        wait_until(lambda: client.get(f"{url}/-/ready", auth=("bob", "two")).status_code == 200, "new user")
        assert client.get(f"{url}/-/ready", auth=("alice", "one")).status_code == 401

        relay_config.write_text(relay_config.read_text().replace("hold_seconds: 0.3", "hold_seconds: 0.4"))
        refused = client.post(f"{url}/-/reload", auth=("bob", "two"))
        assert refused.status_code == 500
        assert "the relay section changed; restart the relay to apply it" in refused.text
        client.auth = ("bob", "two")
        assert metric(client, f"{url}/metrics", reloaded_ok) == 0.0
        assert relay.poll() is None
