"""Prometheus-style `--web.listen-address` values: `HOST:PORT`, `:PORT` (all interfaces), `[::1]:PORT`."""

from __future__ import annotations


def parse_listen_address(value: str) -> tuple[str, int]:
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"invalid listen address {value!r}: expected HOST:PORT or :PORT")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port_text)
