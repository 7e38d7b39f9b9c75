"""The test helper that plays a busy neighbour: lanes that overlap share one spinning process."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support import cpu_hog as hog_module
from tests.support.cpu_hog import SharedCpuHog, cpu_seconds


def test_overlapping_users_share_one_hog_that_really_spins_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []
    real = hog_module.cpu_hog

    @contextlib.contextmanager
    def recording(processes: int = 1) -> Iterator[list[subprocess.Popen[bytes]]]:
        with real(processes) as hogs:
            started.extend(hogs)
            yield hogs

    monkeypatch.setattr(hog_module, "cpu_hog", recording)
    shared = SharedCpuHog()
    with shared(True), shared(True), shared(False):
        assert len(started) == 1
        before = cpu_seconds(started[0])
        time.sleep(0.5)
        assert cpu_seconds(started[0]) > before
    assert started[0].poll() is not None  # stopped when the last user left
    with shared(True):
        assert len(started) == 2
