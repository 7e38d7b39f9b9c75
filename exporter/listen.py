"""Prometheus-style `--web.listen-address` values: `HOST:PORT`, `:PORT` (all interfaces), `[::1]:PORT`."""

from __future__ import annotations

import contextlib
import socket


def split_listen_address(value: str) -> tuple[str, int]:
    """(host, port); host is "" for `:PORT`, meaning every interface, IPv6 and IPv4."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ValueError(f"invalid listen address {value!r}: expected HOST:PORT or :PORT")
    return host.strip("[]"), int(port_text)


def parse_listen_address(value: str) -> tuple[str, int]:
    """(host, port) with `:PORT` as 0.0.0.0, for servers that bind one IPv4 host themselves."""
    host, port = split_listen_address(value)
    if port == 0:
        raise ValueError(f"invalid listen address {value!r}: expected HOST:PORT or :PORT")
    return host or "0.0.0.0", port


def bind_listen_sockets(value: str) -> list[socket.socket]:
    """Bound, not yet listening TCP sockets for a listen address.

    `:PORT` binds one dual-stack socket on `::` that accepts IPv4 too (as Go servers such as
    node_exporter do), falling back to `0.0.0.0` on a host without IPv6. A name binds every address it
    resolves to (`localhost:PORT` gets 127.0.0.1 and ::1).
    """
    host, port = split_listen_address(value)
    if host == "":
        try:
            return [_bind(socket.AF_INET6, ("::", port), dual_stack=True)]
        except OSError:
            return [_bind(socket.AF_INET, ("0.0.0.0", port))]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ValueError(f"invalid listen address {value!r}: cannot resolve {host!r}: {exc}") from exc
    sockets: list[socket.socket] = []
    seen: set[tuple[int, str]] = set()
    try:
        for family, _, _, _, address in infos:
            ip = str(address[0])
            if (family, ip) in seen:
                continue
            seen.add((family, ip))
            sockets.append(_bind(family, (ip, port)))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind(
    family: int, address: tuple[str, int] | tuple[str, int, int, int], dual_stack: bool = False
) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual_stack else 1)
        sock.bind(address)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
