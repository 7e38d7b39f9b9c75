"""Basic auth under a wrong-password flood: verified credentials stay cheap, guesses are bounded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from exporter.exposition import Exposition
from exporter.server import build_app
from exporter.store import SnapshotStore
from exporter.web.auth import BasicAuthMiddleware
from exporter.web.config import load_web_config
from exporter.web.failure_limit import FailureLimiter
from exporter.web.password_checks import PasswordChecker, VerifiedCache
from tests.web.tls import write_web_config


def auth_client(
    tmp_path: Path, checker: PasswordChecker, limiter: FailureLimiter, client_ip: str = "192.0.2.1"
) -> httpx.AsyncClient:
    config = load_web_config(write_web_config(tmp_path / "web.yml", users={"alice": "s3cret"}))
    app = BasicAuthMiddleware(
        build_app(SnapshotStore(), lambda: Exposition.of(b"up 1\n"), "/metrics"),
        lambda: config,
        checker=checker,
        limiter=limiter,
    )
    transport = httpx.ASGITransport(app=app, client=(client_ip, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://exporter")


def test_lru_keeps_the_most_recently_used() -> None:
    cache = VerifiedCache(2)
    cache.add(b"a")
    cache.add(b"b")
    assert b"a" in cache  # a is now the most recent
    cache.add(b"c")
    assert b"b" not in cache
    assert b"a" in cache
    assert b"c" in cache
    assert len(cache) == 2


def test_failure_limiter_refills_and_is_per_client() -> None:
    now = [0.0]
    limiter = FailureLimiter(burst=2, refill_per_second=0.5, clock=lambda: now[0])
    assert limiter.take("x") == 0
    assert limiter.take("x") == 0
    assert limiter.take("x") == 2.0  # one token needs 2 s at 0.5/s
    assert limiter.take("y") == 0
    now[0] = 2.0
    assert limiter.take("x") == 0
    limiter.give_back("x")
    assert limiter.take("x") == 0


async def test_guesses_are_rate_limited_but_a_verified_scraper_is_not(tmp_path: Path) -> None:
    checker = PasswordChecker(cache_size=4)
    limiter = FailureLimiter(burst=3, refill_per_second=0.01)
    async with auth_client(tmp_path, checker, limiter) as client:
        assert (await client.get("/metrics", auth=("alice", "s3cret"))).status_code == 200
        statuses = [(await client.get("/metrics", auth=("alice", f"guess{i}"))).status_code for i in range(6)]
        assert statuses == [401, 401, 401, 429, 429, 429]
        limited = await client.get("/metrics", auth=("alice", "guess"))
        assert int(limited.headers["retry-after"]) >= 1
        # Wrong guesses are never cached, so they do not push the scraper out of a 4-entry cache.
        assert (await client.get("/metrics", auth=("alice", "s3cret"))).status_code == 200
        assert checker.refused["rate_limited"] == 4
    checker.close()


async def test_checks_beyond_the_waiting_cap_get_503(tmp_path: Path) -> None:
    checker = PasswordChecker(workers=1, max_waiting=2)
    limiter = FailureLimiter(burst=100)
    async with auth_client(tmp_path, checker, limiter) as client:
        answers = await asyncio.gather(
            *(client.get("/metrics", auth=("alice", f"guess{i}")) for i in range(6))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401, 401, 503, 503, 503, 503]
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert busy.headers["retry-after"] == "1"
    assert checker.refused["busy"] == 4
    checker.close()
