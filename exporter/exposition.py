"""Rendering metric families to the text exposition format once, and joining rendered pieces.

A poll renders its families once; a scrape only concatenates bytes. Families are kept apart so
that pieces from several pollers sharing a metric name (positions of liquidators and of watched
accounts, say) are joined under one HELP/TYPE header, as the format requires.

The pollers' pieces, joined, change only when a poll publishes: a scrape reuses them (and their
gzip form) and only appends what it renders itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric

from exporter.gzip_stream import EMPTY_PART, DeflatedPart, deflate_part, gzip_member

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class RenderedFamily:
    name: str
    header: bytes
    samples: bytes


class _Families:
    """The `collect()` interface generate_latest expects, over a fixed list of families."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def render_families(families: Iterable[Metric]) -> dict[str, RenderedFamily]:
    rendered: dict[str, RenderedFamily] = {}
    for family in families:
        text = generate_latest(_Families([family]))
        header_end = 0
        for _ in range(2):  # "# HELP" and "# TYPE"
            header_end = text.index(b"\n", header_end) + 1
        name = text[len(b"# HELP ") : text.index(b" ", len(b"# HELP "))].decode()
        if name in rendered:
            raise ValueError(f"metric family {name} rendered twice in one snapshot")
        rendered[name] = RenderedFamily(name, text[:header_end], text[header_end:])
    return rendered


def join_pieces(pieces: Iterable[Mapping[str, RenderedFamily]]) -> bytes:
    headers: dict[str, bytes] = {}
    bodies: dict[str, list[bytes]] = {}
    for piece in pieces:
        for name, family in piece.items():
            if name not in headers:
                headers[name] = family.header
                bodies[name] = []
            if family.samples:
                bodies[name].append(family.samples)
    out: list[bytes] = []
    for name, header in headers.items():
        out.append(header)
        out.extend(bodies[name])
    return b"".join(out)


@dataclass(eq=False)
class JoinedPieces:
    """Pieces joined once; deflated once too, when a scrape first asks for gzip."""

    pieces: tuple[Mapping[str, RenderedFamily], ...]
    body: bytes
    names: frozenset[str]
    _deflated: DeflatedPart | None = field(default=None, repr=False)

    @classmethod
    def of(cls, pieces: Sequence[Mapping[str, RenderedFamily]]) -> JoinedPieces:
        names = frozenset(name for piece in pieces for name in piece)
        return cls(tuple(pieces), join_pieces(pieces), names)

    def holds(self, pieces: Sequence[Mapping[str, RenderedFamily]]) -> bool:
        """Joined from these very objects (a published piece is never changed, only replaced)."""
        if len(pieces) != len(self.pieces):
            return False
        return all(a is b for a, b in zip(pieces, self.pieces, strict=True))

    def deflated(self) -> DeflatedPart:
        if self._deflated is None:
            self._deflated = deflate_part(self.body)
        return self._deflated


NOTHING_JOINED = JoinedPieces((), b"", frozenset(), EMPTY_PART)


@dataclass(frozen=True, slots=True)
class Exposition:
    """A scrape's body: the pollers' joined pieces, then what the scrape rendered itself."""

    head: JoinedPieces
    tail: bytes = b""

    @classmethod
    def of(cls, body: bytes) -> Exposition:
        return cls(NOTHING_JOINED, body)

    def then(self, more: bytes) -> Exposition:
        return Exposition(self.head, self.tail + more)

    def identity(self) -> bytes:
        return self.head.body + self.tail

    def gzip(self) -> bytes:
        return gzip_member(self.head.deflated(), self.tail)
