"""The exporter and the relay as users run them, for attacks on 127.0.0.1 (tests/security)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from benchmarks.hostile_clients import open_files_limit
from tests.relay.stack import RELAY_ENV, write_relay_config
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port

UPSTREAM = {"api_url": "http://127.0.0.1:9", "timeout_seconds": 1, "max_retries": 0}
EXPORTER_CONFIG = {"hyperliquid": UPSTREAM, "reference_prices": {"enabled": False}}


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def exporter_argv(tmp_path: Path, port: int) -> list[str]:
    config = tmp_path / "exporter.yaml"
    config.write_text(yaml.safe_dump(EXPORTER_CONFIG))
    return [
        sys.executable,
        "-m",
        "exporter.cli",
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]


def relay_argv(
    tmp_path: Path, port: int, queue: Path | None = None, chat_url: str = "http://127.0.0.1:9"
) -> list[str]:
    config = write_relay_config(tmp_path / "relay.yaml", chat_url, queue or tmp_path / "queue.db")
    return [
        sys.executable,
        "-m",
        "exporter.relay.cli",
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]


@contextlib.contextmanager
def command(
    kind: str,
    tmp_path: Path,
    flags: tuple[str, ...] = (),
    auth: tuple[str, str] | None = None,
    open_files: int | None = None,
    argv: Callable[[int], list[str]] | None = None,
    name: str | None = None,
) -> Iterator[Running]:
    """The exporter or the relay on a free loopback port, ready; stopped (and reaped) on exit.

    `argv`, given the port, replaces the default command line (flags are still appended)."""
    port = free_port()
    if argv is not None:
        base = argv(port)
    else:
        base = exporter_argv(tmp_path, port) if kind == "exporter" else relay_argv(tmp_path, port)
    log = tmp_path / f"{name or kind}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*base, *flags],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env={**os.environ, **RELAY_ENV},
            preexec_fn=open_files_limit(open_files) if open_files else None,
        )
        running = Running(process, f"http://127.0.0.1:{port}", port, log)
        try:
            wait_until(lambda: _healthy(running.url, auth), f"{kind} answering", process=process, log=log)
            yield running
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _healthy(url: str, auth: tuple[str, str] | None) -> bool:
    return httpx.get(f"{url}/-/healthy", auth=auth, timeout=2).status_code == 200


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float = 30.0,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"exited with {process.returncode} before {what}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {timeout}s")


def metric(url: str, name: str, auth: tuple[str, str] | None = None, **labels: str) -> float | None:
    """A sample's value from `url`'s exposition, or None when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in httpx.get(url, auth=auth, timeout=5).text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return None
