"""A loopback HTTP server standing in for every receiver endpoint: it records each request it gets."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    # Wall-clock arrival (time.time()), comparable with Prometheus timestamps.
    received_at: float = field(default_factory=time.time)


class RecordingSink:
    def __init__(self) -> None:
        self._received: list[Received] = []
        self._changed = threading.Condition()

    def record(self, request: Received) -> None:
        with self._changed:
            self._received.append(request)
            self._changed.notify_all()

    def received(self, path: str) -> list[Received]:
        with self._changed:
            return [request for request in self._received if request.path == path]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    paths = sorted({request.path for request in self._received})
                    raise TimeoutError(
                        f"sink never saw {what or 'the expected requests'}; got {len(self._received)} "
                        f"requests on {paths}"
                    )
                self._changed.wait(remaining)


class _Server(ThreadingHTTPServer):
    # Alertmanager sends a cascade's per-subject webhook notifications all at once.
    request_queue_size = 512
    daemon_threads = True


def _handler_for(sink: RecordingSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            sink.record(
                Received(
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
            )
            # Slack answers "ok"; webhook receivers only need a 2xx.
            payload = b"ok"
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # Alertmanager gave up waiting (it is being stopped); the request is recorded.

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def running_sink() -> Iterator[tuple[RecordingSink, str]]:
    """Yield the sink and its base URL (http://127.0.0.1:PORT); stop the server afterwards."""
    sink = RecordingSink()
    server = _Server(("127.0.0.1", 0), _handler_for(sink))
    thread = threading.Thread(target=server.serve_forever, name="receiver-sink", daemon=True)
    thread.start()
    try:
        yield sink, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
