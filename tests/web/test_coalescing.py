"""Response head and body in one send: the transport joining one loop turn's writes, and uvicorn using it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from exporter.web.coalescing import CoalescingH11Protocol, CoalescingTransport

BODY = b"x" * 200_000


class RecordingTransport(asyncio.Transport):
    """Stands in for a socket transport: keeps what was written, and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 7


async def test_writes_of_one_loop_turn_leave_as_one() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"")
    transport.write(memoryview(b"body"))
    assert real.writes == []
    assert transport.get_write_buffer_size() == 7 + len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.writelines([b"next", b" turn"])
    await asyncio.sleep(0)
    assert real.writes[1:] == [b"next turn"]


async def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"last words")
    transport.close()
    assert real.writes == [b"last words"]
    assert real.closed
    await asyncio.sleep(0)
    assert real.writes == [b"last words"]  # the scheduled flush finds nothing left

    other = RecordingTransport()
    aborted = CoalescingTransport(other, asyncio.get_running_loop())
    aborted.write(b"never sent")
    aborted.abort()
    await asyncio.sleep(0)
    assert other.writes == []
    assert other.aborted


class _Recorder:
    """Puts a recording wrapper under a protocol, so a test sees the sends the socket would get."""

    sends: ClassVar[list[bytes]] = []

    @classmethod
    def wrap(cls, transport: asyncio.Transport) -> asyncio.Transport:
        real_write = transport.write

        def write(data: Any) -> None:
            cls.sends.append(bytes(data))
            real_write(data)

        transport.write = write  # type: ignore[method-assign]
        return transport


class RecordedCoalescing(CoalescingH11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Recorder.wrap(transport))


class RecordedPlain(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Recorder.wrap(transport))


async def _metrics(_: Request) -> Response:
    return Response(BODY, media_type="text/plain")


@asynccontextmanager
async def serving(protocol: type[asyncio.Protocol]) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = Starlette(routes=[Route("/metrics", _metrics, methods=["GET", "HEAD"])])
    server = uvicorn.Server(uvicorn.Config(app, http=protocol, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def responses_as_sent(protocol: type[asyncio.Protocol]) -> list[bytes]:
    _Recorder.sends.clear()
    async with serving(protocol) as url, httpx.AsyncClient(base_url=url) as client:
        for _ in range(3):  # one kept-alive connection
            response = await client.get("/metrics")
            assert response.content == BODY
        head = await client.head("/metrics")
        assert head.headers["content-length"] == str(len(BODY))
    return list(_Recorder.sends)


async def test_uvicorn_sends_head_and_body_together() -> None:
    sends = await responses_as_sent(RecordedCoalescing)
    assert len(sends) == 4
    for sent in sends[:3]:
        assert sent.startswith(b"HTTP/1.1 200 OK\r\n")
        assert sent.endswith(b"\r\n\r\n" + BODY)
    assert sends[3].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sends[3].endswith(b"\r\n\r\n")


async def test_plain_uvicorn_sends_them_apart() -> None:
    """The control: without the coalescing transport the head is a send of its own."""
    sends = await responses_as_sent(RecordedPlain)
    assert sends[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sends[0].endswith(b"\r\n\r\n")
    assert sends[1] == BODY
