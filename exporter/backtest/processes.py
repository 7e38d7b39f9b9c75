"""Start real servers on 127.0.0.1 with free ports, wait until they answer, and always stop them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http_ok(url: str, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    # One client for the whole wait: each `httpx.get` builds a client and its TLS context (about 27 ms of
    # CPU), which, every 50 ms, kept a core a third busy while a server started.
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return
                last_error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last_error = repr(exc)
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s (last: {last_error})")


@contextlib.contextmanager
def running(
    argv: Sequence[str],
    ready_url: str | None,
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 30.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run argv with output to log_path; yield once ready_url answers 200; terminate on exit.

    On a failed start the log is included in the error, so CI output says why.
    """
    merged_env = {**os.environ, **(env or {})}
    with log_path.open("wb") as log:
        process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, env=merged_env, cwd=cwd)
        try:
            if ready_url is not None:
                try:
                    wait_http_ok(ready_url, timeout=timeout, process=process)
                except (TimeoutError, RuntimeError) as exc:
                    log.flush()
                    raise RuntimeError(
                        f"{argv[0]} failed to start: {exc}\n{log_path.read_text()[-4000:]}"
                    ) from exc
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
