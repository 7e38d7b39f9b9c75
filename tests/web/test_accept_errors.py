"""Failed accept() calls are counted, and logged once per interval instead of once per failure."""

from __future__ import annotations

import asyncio
import errno
import logging

import pytest

from exporter.web.accept_errors import AcceptErrorLog
from exporter.web.connections import MIN_CONNECTIONS, connection_budget


async def test_accept_failures_and_their_retries_are_counted_and_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    errors = AcceptErrorLog(interval=60, clock=lambda: now[0])
    loop = asyncio.get_running_loop()
    errors.install(loop)
    emfile = OSError(errno.EMFILE, "Too many open files")
    with caplog.at_level(logging.ERROR):
        for _ in range(1000):
            loop.call_exception_handler(
                {"message": "socket.accept() out of system resource", "exception": emfile}
            )
        # The retries asyncio schedules per failure fail once the socket is closed.
        retry = type(
            "Handle", (), {"__repr__": lambda self: "<TimerHandle BaseSelectorEventLoop._start_serving()>"}
        )()
        loop.call_exception_handler(
            {"message": "Exception in callback", "handle": retry, "exception": ValueError()}
        )
        now[0] = 61
        loop.call_exception_handler(
            {"message": "socket.accept() out of system resource", "exception": emfile}
        )
        loop.call_exception_handler({"message": "something else entirely"})
    reports = [
        record.getMessage() for record in caplog.records if record.name == "exporter.web.accept_errors"
    ]
    assert errors.total == 1002
    assert len(reports) == 2
    assert reports[0].startswith("accepting connections failed 1 time(s)")
    assert reports[1].startswith("accepting connections failed 1001 time(s)")
    assert any(record.getMessage() == "something else entirely" for record in caplog.records)


def test_the_connection_budget_fits_the_open_files_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 4096))
    assert connection_budget(512) == 512
    assert connection_budget(2000) == 1024 - 64 - 2 * 128
    monkeypatch.setattr(resource, "getrlimit", lambda _: (64, 4096))
    assert connection_budget(512) == MIN_CONNECTIONS
