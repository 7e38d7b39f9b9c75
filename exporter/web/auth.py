"""HTTP basic auth against the web config's bcrypt hashes, as exporter-toolkit does it.

bcrypt is slow by design (tens of milliseconds per check at cost 10), and Prometheus sends the same
credentials every scrape, so successful and failed checks are remembered by a keyed digest of
(user, password, stored hash): a changed hash after a reload is checked afresh. Unknown users are checked
against a dummy hash, so a response's timing does not tell whether a user exists.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping

import bcrypt
from starlette.types import ASGIApp, Receive, Scope, Send

from exporter.web.config import WebConfig

_CACHE_LIMIT = 1024


@functools.cache
def _dummy_hash() -> bytes:
    """Made on first use: a cost-10 hash takes tens of milliseconds, too long for every import."""
    return bcrypt.hashpw(b"dummy password", bcrypt.gensalt(rounds=10))


class CredentialChecker:
    def __init__(self) -> None:
        self._key = os.urandom(32)
        self._verdicts: dict[bytes, bool] = {}

    def _digest(self, user: str, password: str, hashed: bytes) -> bytes:
        message = b"\0".join((user.encode(), password.encode(), hashed))
        return hmac.new(self._key, message, hashlib.sha256).digest()

    async def check(self, users: Mapping[str, bytes], user: str, password: str) -> bool:
        hashed = users.get(user)
        known = hashed is not None
        stored = hashed if hashed is not None else await asyncio.to_thread(_dummy_hash)
        digest = self._digest(user, password, stored)
        verdict = self._verdicts.get(digest)
        if verdict is None:
            verdict = bool(await asyncio.to_thread(bcrypt.checkpw, password.encode(), stored))
            if len(self._verdicts) >= _CACHE_LIMIT:
                self._verdicts.clear()
            self._verdicts[digest] = verdict
        return known and verdict


def parse_basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BasicAuthMiddleware:
    """Requires valid credentials on every path except exempt_prefixes, when the config lists users."""

    def __init__(
        self, app: ASGIApp, current: Callable[[], WebConfig], exempt_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.current = current
        self.exempt_prefixes = exempt_prefixes
        self.checker = CredentialChecker()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        users = self.current().basic_auth_users
        if scope["type"] != "http" or not users or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        credentials = parse_basic(header)
        if credentials is not None and await self.checker.check(users, *credentials):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"www-authenticate", b'Basic realm="Prometheus exporter"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"Unauthorized\n"})
