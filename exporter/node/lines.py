"""One line of a node's fill output, parsed: the block it belongs to and its `[user, fill]` events.

- `node_fills_by_block`: one line per block,
  `{"local_time": ..., "block_time": "2025-10-10T21:16:04.831874687", "block_number": 758800641,
  "events": [[user, fill], ...]}` (reference/hyperliquid-api.md, "A non-validating node's output").
- `node_fills`: one fill per line, `[user, fill]`. Hyperliquid's node README only says "in the API fills
  format"; the pair layout is how public parsers of the archive's `node_fills/hourly` read it (a Rust S3
  candle tool's `DataSource::NodeFills`, "legacy, flat [address, fill] per line"; a TypeScript archive
  ingester's test writing "the legacy line exactly as the bucket holds it: [address, fill]"). A fill object
  carrying its own `user` field is accepted too. Such a line has no block number; its time is the fill's.

Fills stay raw dicts here: only those that can be a liquidation or an ADL are typed (venue_events.py).

A block line of `stream_from` bytes or more (an ADL burst: 25,000 fills are 12 MB) is parsed one event at a
time, so memory holds the line and one fill rather than every fill of the block as objects (about 3x the
line). The node writes compact JSON with `events` last and no arrays inside a fill, so events are cut at
`],["`; a piece that does not parse counts as one malformed event, never as a wrong fill (an event that
does not begin with `["` stays joined to the one before it: both count as one malformed event).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

Loads = Callable[[bytes], Any]
Event = tuple[str, dict[str, Any]]
STREAM_FROM_BYTES = 1 << 20
_EVENTS = b'"events":['
_BETWEEN_EVENTS = b'],["'


class MalformedLine(ValueError):
    """A line that is not JSON, or not in either layout."""


@dataclass(slots=True)
class NodeLine:
    block_number: int | None
    block_time_s: float | None
    events: Iterable[Event]  # read once; a large block's are parsed as they are read
    malformed_events: int = 0  # complete once `events` has been read


def parse_block_time(text: str) -> float:
    """`2025-10-10T21:16:04.831874687` (UTC, nanoseconds) as Unix seconds (microsecond precision)."""
    date, _, fraction = text.partition(".")
    stamp = datetime.fromisoformat(date).replace(tzinfo=UTC).timestamp()
    digits = "".join(ch for ch in fraction[:6] if ch.isdigit())
    return stamp + (int(digits) / 10 ** len(digits) if digits else 0.0)


def _event(item: Any) -> tuple[str, dict[str, Any]] | None:
    if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], dict):
        return item[0].lower(), item[1]
    if isinstance(item, dict) and isinstance(item.get("user"), str):
        return item["user"].lower(), item
    return None


def parse_line(line: bytes, loads: Loads = orjson.loads, stream_from: int = STREAM_FROM_BYTES) -> NodeLine:
    if len(line) >= stream_from:
        streamed = _streamed_block(line, loads)
        if streamed is not None:
            return streamed
    try:
        data = loads(line)
    except ValueError as exc:
        raise MalformedLine(f"not JSON: {exc}") from None
    if isinstance(data, dict) and "events" in data:
        return _block(data)
    event = _event(data)
    if event is None:
        raise MalformedLine("neither a block line nor a [user, fill] line")
    time_ms = event[1].get("time")
    time_s = time_ms / 1000 if isinstance(time_ms, int | float) and not isinstance(time_ms, bool) else None
    return NodeLine(None, time_s, [event])


def _block(data: dict[str, Any]) -> NodeLine:
    raw_events = data["events"]
    number = data.get("block_number")
    block_time = data.get("block_time")
    if not isinstance(raw_events, list):
        raise MalformedLine("events is not a list")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise MalformedLine("block_number is not an integer")
    try:
        time_s = parse_block_time(block_time) if isinstance(block_time, str) else None
    except ValueError:
        raise MalformedLine(f"block_time {block_time!r} is not a time") from None
    events: list[tuple[str, dict[str, Any]]] = []
    malformed = 0
    for item in raw_events:
        event = _event(item)
        if event is None:
            malformed += 1
        else:
            events.append(event)
    return NodeLine(number, time_s, events, malformed)


def _streamed_block(line: bytes, loads: Loads) -> NodeLine | None:
    """The block with its events parsed as they are read; None if the line is not laid out for it."""
    body = line.rstrip()
    start = body.find(_EVENTS)
    if start < 0 or not body.endswith(b"]}"):
        return None
    try:
        header = loads(body[:start] + b'"events":[]}')
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    shell = _block(header)
    streamed = NodeLine(shell.block_number, shell.block_time_s, ())
    streamed.events = _events_of(body, start + len(_EVENTS), len(body) - 2, loads, streamed)
    return streamed


def _events_of(body: bytes, begin: int, end: int, loads: Loads, owner: NodeLine) -> Iterator[Event]:
    position = begin
    while position < end:
        cut = body.find(_BETWEEN_EVENTS, position, end)
        stop = end if cut < 0 else cut + 1
        piece = body[position:stop]
        position = stop + 1  # past the comma
        try:
            event = _event(loads(piece))
        except ValueError:
            event = None
        if event is None:
            owner.malformed_events += 1
        else:
            yield event
