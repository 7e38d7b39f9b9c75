"""HTTP basic auth against the web config's bcrypt hashes, as exporter-toolkit does it.

Prometheus sends the same credentials every scrape, so verified ones are remembered (password_checks);
only a request whose credentials were not verified before costs a bcrypt check, and such checks are
bounded per client (failure_limit: 429) and in total (password_checks: 503), both with `Retry-After`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from exporter.web.config import WebConfig
from exporter.web.failure_limit import FailureLimiter, retry_after
from exporter.web.password_checks import ChecksBusy, PasswordChecker

_BUSY_RETRY_SECONDS = 1.0


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
        self,
        app: ASGIApp,
        current: Callable[[], WebConfig],
        exempt_prefixes: tuple[str, ...] = (),
        checker: PasswordChecker | None = None,
        limiter: FailureLimiter | None = None,
    ) -> None:
        self.app = app
        self.current = current
        self.exempt_prefixes = exempt_prefixes
        self.checker = checker or PasswordChecker()
        self.limiter = limiter or FailureLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        users = self.current().basic_auth_users
        if scope["type"] != "http" or not users or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        credentials = parse_basic(header)
        if credentials is None:
            await _refuse(send, 401, "Unauthorized\n")
            return
        user, password = credentials
        hashed = users.get(user)
        if self.checker.cached(hashed, user, password):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.limiter.take(client)
        if wait:
            self.checker.refused["rate_limited"] += 1
            await _refuse(send, 429, "Too many failed logins; retry later\n", retry_after(wait))
            return
        try:
            passed = await self.checker.check(hashed, user, password)
        except ChecksBusy:
            self.limiter.give_back(client)
            self.checker.refused["busy"] += 1
            await _refuse(
                send, 503, "Too many logins being checked; retry later\n", retry_after(_BUSY_RETRY_SECONDS)
            )
            return
        if passed:
            self.limiter.give_back(client)
            await self.app(scope, receive, send)
            return
        await _refuse(send, 401, "Unauthorized\n")


async def _refuse(send: Send, status: int, text: str, retry: str | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    if status == 401:
        headers.append((b"www-authenticate", b'Basic realm="Prometheus exporter"'))
    if retry is not None:
        headers.append((b"retry-after", retry.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode()})
