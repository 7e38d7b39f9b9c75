"""When a failure is worth a warning: when its kind changes, not while it repeats."""

from __future__ import annotations

from exporter.failure_tracker import FailureTracker


def test_a_failure_is_new_when_its_kind_changes() -> None:
    failure = FailureTracker()
    assert failure.failed("timeout")
    assert not failure.failed("timeout")
    assert failure.failed("http_503")
    assert failure.current == "http_503"


def test_a_success_ends_a_failure_once() -> None:
    failure = FailureTracker()
    assert not failure.succeeded()
    failure.failed("timeout")
    assert failure.succeeded()
    assert not failure.succeeded()
    assert failure.failed("timeout"), "the same kind after a recovery is new again"
