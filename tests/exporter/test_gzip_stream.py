"""gzip of /metrics: the pollers' part deflated once per change, and still one valid gzip member."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest

from exporter import exposition
from exporter.exposition import JoinedPieces, join_pieces, render_families
from exporter.gzip_stream import accepts_gzip, deflate_part, gzip_member
from exporter.scheduler import Scheduler
from exporter.server import build_app
from exporter.store import PollerHealth, Snapshot, SnapshotStore
from tests.exporter.fakes import ScriptedPoller, gauge

HEAD = b"".join(b'hyperliquid_mark_price{coin="C%d"} %d.5\n' % (i, i) for i in range(20_000))
TAIL = b"hyperliquid_exporter_up 1.0\n# HELP x y\n"


@pytest.mark.parametrize(
    ("head", "tail"), [(HEAD, TAIL), (HEAD, b""), (b"", TAIL), (b"", b""), (HEAD[:1], HEAD[1:])]
)
def test_a_deflated_head_and_a_tail_decode_as_one_body(head: bytes, tail: bytes) -> None:
    member = gzip_member(deflate_part(head), tail)
    assert gzip.decompress(member) == head + tail
    # The way httpx and most HTTP clients decode: one streaming gzip decoder, nothing left over.
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert decoder.decompress(member) + decoder.flush() == head + tail
    assert decoder.eof
    assert decoder.unused_data == b""


def test_the_head_is_compressed_and_reusable() -> None:
    part = deflate_part(HEAD)
    assert len(part.data) < len(HEAD) / 5
    assert gzip.decompress(gzip_member(part, b"a\n")) == HEAD + b"a\n"
    assert gzip.decompress(gzip_member(part, b"b\n")) == HEAD + b"b\n"


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("gzip;q=nonsense", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def store_with(*pollers: str, clock: list[float]) -> SnapshotStore:
    store = SnapshotStore(clock=lambda: clock[0])
    for name in pollers:
        store.register(PollerHealth(name, name, interval=10, max_age=30, planned_weight_per_minute=0))
    return store


def publish(store: SnapshotStore, poller: str, name: str, value: float, at: float) -> None:
    families = render_families([gauge(name, {"BTC": value})])
    store.publish(Snapshot(poller, at, families))


def test_the_store_joins_again_only_when_a_piece_changes() -> None:
    clock = [100.0]
    store = store_with("market", "prices", clock=clock)
    publish(store, "market", "hyperliquid_mark_price", 1, at=100)
    publish(store, "prices", "hyperliquid_external_price", 2, at=100)
    own = render_families([gauge("hyperliquid_exporter_up", {"BTC": 1})])

    first = store.render(own)
    assert store.render(own).head is first.head
    assert first.identity() == join_pieces([*store.fresh_pieces(), own])

    publish(store, "prices", "hyperliquid_external_price", 3, at=101)
    second = store.render(own)
    assert second.head is not first.head
    assert b'hyperliquid_external_price{coin="BTC"} 3.0' in second.identity()

    clock[0] = 131.0  # the market piece (observed at 100) is older than its 30 s maximum age
    third = store.render(own)
    assert third.head is not second.head
    assert b"hyperliquid_mark_price" not in third.identity()
    assert gzip.decompress(third.gzip()) == third.identity()


def test_a_name_in_both_parts_is_joined_under_one_header() -> None:
    clock = [100.0]
    store = store_with("market", clock=clock)
    publish(store, "market", "hyperliquid_mark_price", 1, at=100)
    also_own = render_families([gauge("hyperliquid_mark_price", {"ETH": 2})])
    body = store.render(also_own).identity()
    assert body.count(b"# TYPE hyperliquid_mark_price gauge") == 1
    assert body == join_pieces([*store.fresh_pieces(), also_own])


def test_the_head_is_deflated_once_for_any_number_of_gzip_scrapes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(data: bytes) -> object:
        calls.append(len(data))
        return deflate_part(data)

    monkeypatch.setattr(exposition, "deflate_part", counting)
    joined = JoinedPieces.of([render_families([gauge("hyperliquid_mark_price", {"BTC": 1})])])
    for _ in range(3):
        assert joined.deflated() is joined.deflated()
    assert len(calls) == 1


async def test_metrics_answers_gzip_when_asked_and_only_then() -> None:
    store = SnapshotStore()
    poller = ScriptedPoller("market", "market", [lambda: [gauge("hyperliquid_mark_price", {"BTC": 1.0})]])
    await Scheduler([poller], store).poll_once(poller)
    app = build_app(store, lambda: store.render().then(b"# the scrape's own tail\n"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        plain = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        async with client.stream("GET", "/metrics", headers={"Accept-Encoding": "gzip"}) as zipped:
            wire = b"".join([chunk async for chunk in zipped.aiter_raw()])
            assert zipped.headers["content-encoding"] == "gzip"
            assert zipped.headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(wire) == plain.content
        assert plain.content.endswith(b"# the scrape's own tail\n")
        refused = await client.get("/metrics", headers={"Accept-Encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in refused.headers
        assert refused.content == plain.content
