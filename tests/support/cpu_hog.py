"""A second process that keeps one core busy, as a real exporter's neighbours do on a shared host.

    with cpu_hog():
        ...  # the stack under test shares the machine with a process spinning on one core

The hog is a plain Python busy loop in its own process (its own interpreter, so it takes a core, not
the GIL of the test), bounded in time so that a crashed test cannot leave it running for ever.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

# The longest a hog may run if the test that started it dies without stopping it.
MAX_SECONDS = 900

_BUSY_LOOP = f"""
import threading
import time
end = time.monotonic() + {MAX_SECONDS}
while time.monotonic() < end:
    for _ in range(100_000):
        pass
"""


@contextlib.contextmanager
def cpu_hog(processes: int = 1) -> Iterator[list[subprocess.Popen[bytes]]]:
    hogs = [subprocess.Popen([sys.executable, "-c", _BUSY_LOOP]) for _ in range(processes)]
    try:
        time.sleep(0.2)  # spinning before the stack starts
        for hog in hogs:
            if hog.poll() is not None:
                raise RuntimeError(f"the CPU hog exited at once with {hog.returncode}")
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait(timeout=10)


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """CPU time the process has used so far (Linux /proc), to prove a hog really spins."""
    with open(f"/proc/{process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of /proc/PID/stat (1-based): 12th and 13th after the ")".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SharedCpuHog:
    """One hog for every concurrent user: scenarios that run side by side (tests/e2e lanes) each ask
    for a busy neighbour, and get the same one, so the machine has one spinning core, not one per lane."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._exits: contextlib.ExitStack | None = None

    @contextlib.contextmanager
    def __call__(self, wanted: bool = True) -> Iterator[None]:
        if not wanted:
            yield
            return
        with self._lock:
            if self._users == 0:
                self._exits = contextlib.ExitStack()
                self._exits.enter_context(cpu_hog(1))
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._exits is not None:
                    self._exits.close()
                    self._exits = None
