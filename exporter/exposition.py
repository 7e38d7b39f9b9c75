"""Rendering metric families to the text exposition format once, and joining rendered pieces.

A poll renders its families once; a scrape only concatenates bytes. Families are kept apart so
that pieces from several pollers sharing a metric name (positions of liquidators and of watched
accounts, say) are joined under one HELP/TYPE header, as the format requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric

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
