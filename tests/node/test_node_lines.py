"""Node lines parsed: block lines whole or one event at a time (large blocks), plain fill lines, and what
is malformed."""

from __future__ import annotations

import json

import orjson
import pytest

from exporter.node.lines import MalformedLine, parse_line
from exporter.replay.node_files import block_line
from tests.node.support import BLOCK_TIME, fill, fixture_line

USERS = [f"0x{k:040x}" for k in range(1, 6)]


def _events(k: int = 5) -> list[tuple[str, dict[str, object]]]:
    return [(USERS[i], fill(tid=i, liquidated_user=USERS[i] if i % 2 else None)) for i in range(k)]


@pytest.mark.parametrize("stream_from", [0, 10**9], ids=["one event at a time", "whole"])
def test_a_block_line_gives_its_number_time_and_events(stream_from: int) -> None:
    line = block_line(42, BLOCK_TIME, _events()).rstrip(b"\n")
    parsed = parse_line(line, stream_from=stream_from)
    assert parsed.block_number == 42
    assert parsed.block_time_s == pytest.approx(BLOCK_TIME)
    assert list(parsed.events) == [(user, body) for user, body in _events()]
    assert parsed.malformed_events == 0


def test_the_real_block_line_parsed_one_event_at_a_time_equals_the_whole_parse() -> None:
    line = json.dumps(fixture_line(), separators=(",", ":")).encode()
    whole, streamed = parse_line(line, stream_from=10**9), parse_line(line, stream_from=0)
    assert list(streamed.events) == list(whole.events)
    assert (streamed.block_number, streamed.block_time_s) == (whole.block_number, whole.block_time_s)


def test_a_broken_event_of_a_streamed_block_is_one_malformed_event_and_the_rest_are_read() -> None:
    good = [orjson.dumps([user, body]) for user, body in _events(3)]
    # Garbled JSON, and JSON that is not a [user, fill] pair.
    events = b",".join([good[0], b'["0xbad",{"coin":"BTC","px":}]', good[1], b'["0xbad"]', good[2]])
    head = b'{"local_time":"2025-10-10T21:16:04.1","block_time":"2025-10-10T21:16:04.1",'
    parsed = parse_line(head + b'"block_number":9,"events":[' + events + b"]}", stream_from=0)
    users = [user for user, _ in parsed.events]
    assert users == USERS[:3]
    assert parsed.malformed_events == 2


def test_a_block_line_with_events_not_last_is_parsed_whole() -> None:
    block = {"block_number": 5, "events": [[USERS[0], fill()]], "block_time": "2025-10-10T21:16:04.5"}
    parsed = parse_line(orjson.dumps(block), stream_from=0)
    assert parsed.block_number == 5
    assert [user for user, _ in parsed.events] == [USERS[0]]


def test_a_plain_fill_line_is_a_user_and_a_fill_or_a_fill_with_its_user() -> None:
    pair = parse_line(orjson.dumps([USERS[0].upper().replace("0X", "0x"), fill(time_ms=1_000)]))
    assert [user for user, _ in pair.events] == [USERS[0]]
    assert (pair.block_number, pair.block_time_s) == (None, 1.0)
    with_user = parse_line(orjson.dumps({**fill(), "user": USERS[1]}))
    assert [user for user, _ in with_user.events] == [USERS[1]]


@pytest.mark.parametrize(
    "line",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"block_number": "7", "events": []}',
        b'{"block_number": 7, "block_time": "yesterday", "events": []}',
        b'{"block_number": 7, "events": {}}',
    ],
)
def test_malformed_lines_are_refused(line: bytes) -> None:
    with pytest.raises(MalformedLine):
        parse_line(line)
