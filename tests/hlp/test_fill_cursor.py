"""Cursor, pagination and deduplication of fills under arbitrary histories and page overlaps.

A model server returns fills from `startTime` (inclusive, so consecutive pages and polls overlap
on their boundary millisecond), oldest first, at most `page_size` per answer (the client only
knows the smallest size a server may use, `full_page`: 500 against servers of 500 or 2000),
optionally repeating a fill within a page, and the `recent_limit` most recent fills newest first
(`userFills`). Fills become visible in batches between polls. Whatever happens: no fill is
counted twice, no fill from before the start is counted, a fill is only ever missed in a
millisecond reported as a gap, and reading always ends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.hyperliquid.fills import Fill, FillCursor, ParsedFills, follow

START_MS = 1_000


@dataclass
class ModelServer:
    page_limit: int
    visible: list[Fill]
    repeat_first: bool = False  # answer the page's first fill twice (within the page limit)
    recent_limit: int = 0

    async def page(self, start_ms: int) -> ParsedFills:
        matching = sorted((f for f in self.visible if f.time_ms >= start_ms), key=lambda f: f.time_ms)
        if self.repeat_first and matching:
            matching.insert(1, matching[0])
        return ParsedFills(tuple(matching[: self.page_limit]), malformed=0)

    async def recent(self) -> ParsedFills:
        newest_first = sorted(self.visible, key=lambda f: f.time_ms)[::-1]
        return ParsedFills(tuple(newest_first[: self.recent_limit]), malformed=0)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Fill], list[int]]:
    """Fills (many sharing a millisecond) in time order, split into batches that arrive one per poll."""
    times = sorted(draw(st.lists(st.integers(START_MS - 5, START_MS + 25), max_size=45)))
    with_tid = draw(st.booleans())
    fills = [
        Fill(
            coin="BTC",
            price=100.0 + (i % 3),
            size=1.0,
            time_ms=t,
            direction="Open Long",
            hash="0x" + f"{i % 4:064x}",  # hashes repeat: identity must not rest on them alone
            oid=i,
            tid=i if with_tid else None,
            liquidation=None,
        )
        for i, t in enumerate(times)
    ]
    cuts = sorted(draw(st.lists(st.integers(0, len(fills)), max_size=5)))
    return fills, [*cuts, len(fills)]


@settings(max_examples=400, deadline=None)
@given(
    histories(),
    st.integers(1, 6),
    st.sampled_from([1, 4]),
    st.booleans(),
    st.integers(1, 4),
    st.sampled_from([0, 3, 1000]),
)
async def test_never_double_counted_never_silently_dropped(
    history: tuple[list[Fill], list[int]],
    full_page: int,
    server_page_factor: int,
    repeat_first: bool,
    max_pages: int,
    recent_limit: int,
) -> None:
    fills, cuts = history
    # Hyperliquid stamps a block's fills with the block's time and serves a block whole: a crowded
    # millisecond (at least a page) becomes visible at once. Other milliseconds may arrive in parts.
    per_ms_all = Counter(f.time_ms for f in fills)
    batch_ends = []
    for cut in cuts:
        while (
            0 < cut < len(fills)
            and fills[cut].time_ms == fills[cut - 1].time_ms
            and (per_ms_all[fills[cut].time_ms] >= full_page)
        ):
            cut += 1
        batch_ends.append(cut)
    page_limit = full_page * server_page_factor  # a server of 500 or of 2000 against a client told 500
    server = ModelServer(page_limit, [], repeat_first, recent_limit)
    recent = server.recent if recent_limit else None
    cursor = FillCursor(START_MS)
    counted: list[Fill] = []
    gaps: list[int] = []
    pages = 0
    for end in batch_ends:
        server.visible = fills[:end]
        summary = await follow(cursor, server.page, counted.append, full_page, max_pages, recent)
        gaps.extend(summary.gaps_at_ms)
        pages += summary.pages
    # Keep polling with nothing new until caught up; each poll is bounded by max_pages.
    for _ in range(3 * len(fills) + 3):
        summary = await follow(cursor, server.page, counted.append, full_page, max_pages, recent)
        gaps.extend(summary.gaps_at_ms)
        pages += summary.pages
        if summary.caught_up:
            break
    assert summary.caught_up

    keys = Counter(f.key for f in counted)
    assert all(n == 1 for n in keys.values()), "a fill was counted twice"
    eligible = [f for f in fills if f.time_ms >= START_MS]
    assert all(f.time_ms >= START_MS for f in counted), "a fill from before the start was counted"
    missed = {f.key for f in eligible} - keys.keys()
    missed_times = {f.time_ms for f in eligible if f.key in missed}
    assert missed_times <= set(gaps), "a fill was dropped without a gap being counted"
    assert cursor.gaps == len(gaps)
    # Without repeats, a gap only happens where one millisecond holds at least a page of fills...
    per_ms = Counter(f.time_ms for f in eligible)
    if not repeat_first:
        assert all(per_ms[ms] >= full_page for ms in gaps)
        if all(n < full_page for n in per_ms.values()):
            assert not missed
            assert not gaps
    # ...and never where the most recent fills reach back to it.
    if recent_limit >= len(fills):
        assert not missed
        assert not gaps
    # Only keys at or after the cursor are remembered.
    assert cursor.remembered <= sum(1 for f in eligible if f.time_ms >= cursor.start_ms)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 50), st.integers(2, 10))
async def test_one_crowded_millisecond_never_loops(crowd: int, page_limit: int) -> None:
    """Many fills in one millisecond, no recent fills to complete it: advance past it, count the gap."""
    fills = [
        Fill("ETH", 1.0, 1.0, START_MS + 7, "Close Long", "0x" + "0" * 64, i, i, None) for i in range(crowd)
    ]
    later = Fill("ETH", 2.0, 1.0, START_MS + 9, "Close Long", None, None, 10_000, None)
    server = ModelServer(page_limit, [*fills, later])
    cursor = FillCursor(START_MS)
    counted: list[Fill] = []
    summary = await follow(cursor, server.page, counted.append, page_limit, max_pages=1_000)
    assert summary.caught_up
    assert summary.pages <= 4
    assert later in counted
    if crowd >= page_limit:
        # The crowded page is full: cursor steps past the millisecond, the gap is counted once.
        assert summary.gaps_at_ms == (START_MS + 7,)
        assert len(counted) == page_limit + 1
    else:
        assert summary.gaps_at_ms == ()
        assert len(counted) == crowd + 1


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.sampled_from([(5, 5), (5, 20)]))
async def test_a_burst_larger_than_a_page_is_completed_from_recent_fills(
    crowd: int, sizes: tuple[int, int]
) -> None:
    """Issue 14: the server's pages are 500 (or 2000), a burst in one millisecond is larger still.

    The cursor must neither stall on the crowded millisecond nor lose its fills: the most recent
    fills complete it, and every fill is counted once, with no gap.
    """
    full_page, server_page = sizes
    burst = [Fill("ETH", 1.0, 1.0, START_MS + 7, "Auto-Deleveraging", None, i, i, None) for i in range(crowd)]
    after = [
        Fill("ETH", 2.0, 1.0, START_MS + 9 + i, "Close Long", None, None, 10_000 + i, None) for i in range(3)
    ]
    server = ModelServer(server_page, [*burst, *after], recent_limit=2000)
    cursor = FillCursor(START_MS)
    counted: list[Fill] = []
    summary = await follow(cursor, server.page, counted.append, full_page, 1_000, server.recent)
    assert summary.caught_up
    assert summary.gaps_at_ms == ()
    assert sorted(f.key for f in counted) == sorted(f.key for f in [*burst, *after])
    # Nothing new: one page, and the cursor stays past the burst.
    again = await follow(cursor, server.page, counted.append, full_page, 1_000, server.recent)
    assert again.pages == 1
    assert len(counted) == crowd + 3
