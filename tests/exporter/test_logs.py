"""Log lines: one record per line whatever the message holds, full tracebacks, logfmt or JSON."""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from exporter.logs import add_logging_flags, logfmt_value, setup_logging

LOGFMT_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^ "]+)')


def parse_logfmt(line: str) -> dict[str, str]:
    """A strict reader: every character of the line must belong to a key=value pair."""
    fields: dict[str, str] = {}
    position = 0
    for match in LOGFMT_PAIR.finditer(line):
        assert line[position : match.start()].strip() == "", f"garbage before {match.group(0)!r}"
        raw = match.group(2)
        fields[match.group(1)] = json.loads(raw) if raw.startswith('"') else raw
        position = match.end()
    assert position == len(line), f"garbage at the end of {line!r}"
    return fields


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    yield io.StringIO()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def log_lines(stream: io.StringIO, log_format: str, emit: Callable[[logging.Logger], None]) -> list[str]:
    setup_logging("debug", log_format)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    emit(logging.getLogger("exporter.collectors.market"))
    return stream.getvalue().splitlines()


HOSTILE = 'first line\nsecond "quoted" line\\with backslash\tand tab\x07 and key=value'


def test_logfmt_escapes_newlines_quotes_and_backslashes(captured: io.StringIO) -> None:
    lines = log_lines(captured, "logfmt", lambda log: log.warning("%s", HOSTILE))
    assert len(lines) == 1
    fields = parse_logfmt(lines[0])
    assert fields["msg"] == HOSTILE
    assert fields["level"] == "warn"
    assert fields["logger"] == "exporter.collectors.market"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields["ts"])


def test_logfmt_keeps_the_whole_traceback_on_one_line(captured: io.StringIO) -> None:
    def emit(log: logging.Logger) -> None:
        try:
            raise KeyError("missing")
        except KeyError:
            log.exception("poll failed")

    lines = log_lines(captured, "logfmt", emit)
    assert len(lines) == 1
    traceback = parse_logfmt(lines[0])["exc"]
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert "test_logs.py" in traceback
    assert traceback.endswith("KeyError: 'missing'")


def test_json_lines_carry_the_same_fields(captured: io.StringIO) -> None:
    def emit(log: logging.Logger) -> None:
        log.info("%s", HOSTILE)
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            log.error("unexpected", exc_info=True)

    lines = log_lines(captured, "json", emit)
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["msg"] == HOSTILE
    assert first["level"] == "info"
    assert "exc" not in first
    assert second["level"] == "error"
    assert second["exc"].endswith("ValueError: bad\nvalue")


@pytest.mark.parametrize(
    ("value", "rendered"),
    [("plain", "plain"), ("", '""'), ("two words", '"two words"'), ("a=b", '"a=b"'), ("é", "é")],
)
def test_logfmt_values_are_bare_only_when_plain(value: str, rendered: str) -> None:
    assert logfmt_value(value) == rendered


def test_unknown_format_is_refused() -> None:
    parser = argparse.ArgumentParser()
    add_logging_flags(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--log.format=xml"])
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        setup_logging("info", "xml")


@pytest.mark.parametrize("command", ["exporter.cli", "exporter.relay.cli", "exporter.replay.cli"])
def test_every_command_takes_the_log_format_flag(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", command, "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    assert "--log.format" in result.stdout
