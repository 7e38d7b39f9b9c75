"""What an attacker without credentials does to an HTTP surface, as reusable bounded coroutines.

Used by tests/security (against the real commands) and benchmarks/hostile_load.py. Every loop stops
on an event or a deadline; every socket is closed on the way out. Loopback only: the attacker connects
from ATTACKER_ADDRESS, another loopback address, as a host on the network would come from an address
other than Prometheus'.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import resource
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

ATTACKER_ADDRESS = "127.0.0.2"
T = TypeVar("T")


def open_files_limit(limit: int) -> Callable[[], None]:
    """A `preexec_fn` giving a child process a soft open-files limit (the default 1,024 of many hosts)."""

    def apply() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))

    return apply


def raise_own_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


@dataclass
class SlowHeaderStats:
    opened: int = 0
    closed_by_server: int = 0
    refused: int = 0
    holding: int = 0


async def _slow_connection(
    host: str, port: int, interval: float, stop: asyncio.Event, stats: SlowHeaderStats, source: str
) -> None:
    """One connection that never finishes its headers: a header byte every `interval` seconds, and
    a new connection `interval` seconds after the server closes it (as slowloris tools refill their
    pool each cycle), until `stop`."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        except OSError:
            stats.refused += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            continue
        stats.opened += 1
        stats.holding += 1
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    # Returns at once when the server closes the connection (EOF).
                    if await asyncio.wait_for(reader.read(1024), interval) == b"":
                        stats.closed_by_server += 1
                        break
                writer.write(b"a")
                await writer.drain()
        except OSError:
            stats.closed_by_server += 1
        finally:
            stats.holding -= 1
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def hold_slow_headers(
    host: str,
    port: int,
    count: int,
    stop: asyncio.Event,
    interval: float = 5.0,
    source: str = ATTACKER_ADDRESS,
) -> SlowHeaderStats:
    """`count` slowloris connections until `stop` is set; opened 100 at a time."""
    stats = SlowHeaderStats()
    tasks = []
    for start in range(0, count, 100):
        tasks += [
            asyncio.create_task(_slow_connection(host, port, interval, stop, stats, source))
            for _ in range(start, min(count, start + 100))
        ]
        await asyncio.sleep(0.05)
    await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


@dataclass
class FloodStats:
    statuses: Counter[int | str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


async def flood_wrong_passwords(
    url: str, user: str, per_second: float, stop: asyncio.Event, source: str = ATTACKER_ADDRESS
) -> FloodStats:
    """A request with a new wrong password every 1/per_second s, each on its own connection, until
    `stop`; at most 200 in flight (beyond that a request is counted as "skipped", not sent)."""
    stats = FloodStats()
    in_flight: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    transport = httpx.AsyncHTTPTransport(local_address=source, limits=limits)
    async with httpx.AsyncClient(timeout=10, transport=transport) as client:

        async def guess() -> None:
            try:
                response = await client.get(url, auth=(user, secrets.token_hex(8)))
                stats.statuses[response.status_code] += 1
            except httpx.HTTPError as exc:
                stats.statuses[type(exc).__name__] += 1

        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            if len(in_flight) < 200:
                task = asyncio.create_task(guess())
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            else:
                stats.statuses["skipped"] += 1
            next_at += 1 / per_second
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - loop.time()))
        await asyncio.gather(*in_flight, return_exceptions=True)
    return stats


async def _attack_for(seconds: float, attack: Callable[[asyncio.Event], Coroutine[Any, Any, T]]) -> T:
    stop = asyncio.Event()
    task: asyncio.Task[T] = asyncio.create_task(attack(stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await task


def main(argv: list[str] | None = None) -> None:
    """One attack in a process of its own, so that it does not slow the measuring process down:
    `python -m benchmarks.hostile_clients flood URL USER RATE SECONDS` or `slow PORT COUNT SECONDS`;
    prints what the attack got back as one JSON line."""
    args = sys.argv[1:] if argv is None else argv
    if args[0] == "flood":
        url, user, rate, seconds = args[1], args[2], float(args[3]), float(args[4])
        flood = asyncio.run(_attack_for(seconds, lambda stop: flood_wrong_passwords(url, user, rate, stop)))
        print(json.dumps({"sent": flood.sent, "answers": {str(k): v for k, v in flood.statuses.items()}}))
    else:
        port, count, seconds = int(args[1]), int(args[2]), float(args[3])
        raise_own_open_files_limit(count + 200)
        slow = asyncio.run(
            _attack_for(seconds, lambda stop: hold_slow_headers("127.0.0.1", port, count, stop))
        )
        print(json.dumps(dataclasses.asdict(slow)))


if __name__ == "__main__":
    main()
