"""Loopback fakes of the Telegram Bot API and Discord webhooks, served by uvicorn on 127.0.0.1.

They answer like the real APIs (full `result` bodies, 429 with retry_after, 400 for messages over the
limits) and record what they accepted, so tests and the burst benchmark can count deliveries. Behaviour is
switched at run time: published rate limits enforced, a 429 every Nth request, scripted one-off answers,
slow answers, or a platform that is down until some moment.
"""

from __future__ import annotations

import asyncio
import collections
import html.parser
import json
import math
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.support.processes import free_port

_BARE_AMPERSAND = re.compile(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_BARE_LESS_THAN = re.compile(r"<(?![a-zA-Z/])")
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler"}


@dataclass(frozen=True)
class Window:
    messages: int
    seconds: float


# Published limits: Telegram ~1 msg/s per chat and 20 msg/min per group; Discord webhooks 5 per 2 s, 30/min.
TELEGRAM_LIMITS = (Window(1, 1.0), Window(20, 60.0))
DISCORD_LIMITS = (Window(5, 2.0), Window(30, 60.0))


RANDOM_FAILURES = ("502", "500", "429:1", "slow:2")


@dataclass
class Delivered:
    platform: str
    destination: str
    text: str
    payload: dict[str, Any]
    at: float
    # Who sent it: the bot token (Telegram) or the webhook id (Discord), so that tests can tell relays apart.
    sender: str = ""


@dataclass
class Behaviour:
    enforce_limits: bool = False
    telegram_limits: tuple[Window, ...] = TELEGRAM_LIMITS
    discord_limits: tuple[Window, ...] = DISCORD_LIMITS
    inject_429_every: int = 0  # every Nth request answers 429 (0: never)
    injected_retry_after: float = 1.0
    down_until: float = 0.0  # time.monotonic() before which every request gets a 502 HTML page
    delay_seconds: float = 0.0  # added to every answer
    script: collections.deque[str] = field(default_factory=collections.deque)  # one-off answers, in order
    discord_429_via_header: bool = True
    # Share of requests answered with a random failure (5xx page, 429, a 2 s stall): the soak benchmark.
    random_failure_ratio: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(18))


class _HTMLChecker(html.parser.HTMLParser):
    """Telegram's HTML subset: known tags, properly nested; anything else is "can't parse entities"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text_length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.error = f"unsupported start tag {tag!r}"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = f"unexpected end tag {tag!r}"

    def handle_data(self, data: str) -> None:
        self.text_length += len(data.encode("utf-16-le")) // 2


def check_telegram_html(text: str) -> str | None:
    """None when Telegram would accept `text` with parse_mode HTML, else its error description."""
    if _BARE_AMPERSAND.search(text) or _BARE_LESS_THAN.search(text):
        return "Bad Request: can't parse entities: unescaped & or <"
    checker = _HTMLChecker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        return f"Bad Request: can't parse entities: {checker.error or 'unclosed tag'}"
    if checker.text_length > 4096:
        return "Bad Request: message is too long"
    return None


def check_discord_message(payload: dict[str, Any]) -> str | None:
    embeds = payload.get("embeds") or []
    if len(payload.get("content") or "") > 2000:
        return "content longer than 2000"
    if len(embeds) > 10:
        return "more than 10 embeds"
    total = 0
    for embed in embeds:
        if embed.get("url") is not None and not _well_formed_url(str(embed["url"])):
            return "embeds.url: Not a well formed URL."
        title, description = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        if len(title) > 256 or len(description) > 4096 or len(fields) > 25:
            return "embed title/description/fields over the limit"
        for item in fields:
            if len(item["name"]) > 256 or len(item["value"]) > 1024 or not item["value"]:
                return "embed field over the limit"
        total += len(title) + len(description) + sum(len(f["name"]) + len(f["value"]) for f in fields)
    if total > 6000:
        return "embeds longer than 6000 in total"
    if not embeds and not payload.get("content"):
        return "Cannot send an empty message"
    return None


def _well_formed_url(url: str) -> bool:
    """Discord refuses a whole message when an embed's url is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


class FakeChatAPI:
    """Both platforms on one port: Telegram at /bot<token>/..., Discord at /api/webhooks/<id>/<token>."""

    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self.delivered: list[Delivered] = []
        self.responses: collections.Counter[str] = collections.Counter()
        self.answers: collections.Counter[tuple[str, str]] = collections.Counter()  # (platform, status)
        self._lock = threading.Lock()
        self._requests = 0
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._telegram, methods=["POST", "GET"]),
                Route("/api/webhooks/{hook_id}/{token}", self._discord, methods=["POST"]),
            ]
        )

    # --- inspection helpers -------------------------------------------------------------------------
    def texts(self, platform: str) -> list[str]:
        with self._lock:
            return [item.text for item in self.delivered if item.platform == platform]

    def count(self, platform: str) -> int:
        return len(self.texts(platform))

    def wait_for(self, platform: str, count: int, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts(platform)
            if len(texts) >= count:
                return texts
            time.sleep(0.02)
        raise AssertionError(f"{platform}: {self.count(platform)} of {count} messages after {timeout}s")

    async def until(self, platform: str, count: int, within: float = 30.0) -> list[str]:
        """Like wait_for, for tests whose relay runs in the same event loop."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            texts = self.texts(platform)
            if len(texts) >= count:
                return texts
            await asyncio.sleep(0.02)
        raise AssertionError(f"{platform}: {self.count(platform)} of {count} messages after {within}s")

    # --- request handling ---------------------------------------------------------------------------
    async def _telegram(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await _form_or_json(request)
        if method == "getMe":
            return JSONResponse(
                {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "t", "username": "t_bot"}}
            )
        if method != "sendMessage":
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)
        chat = str(params.get("chat_id", ""))
        limits = (
            self.behaviour.telegram_limits if chat.startswith("-") else self.behaviour.telegram_limits[:1]
        )
        early = await self._common("telegram", f"tg:{chat}", limits)
        if early is not None:
            kind, retry_after = early
            return _telegram_error(kind, retry_after)
        text = str(params.get("text", ""))
        problem = check_telegram_html(text) if params.get("parse_mode") == "HTML" else None
        if problem:
            self._count("telegram", "400")
            return JSONResponse({"ok": False, "error_code": 400, "description": problem}, status_code=400)
        message_id = self._record("telegram", chat, text, params, request.path_params["token"])
        chat_id = int(chat) if chat.lstrip("-").isdigit() else 0
        return JSONResponse(
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "supergroup", "title": "risk"},
                    "from": {"id": 1, "is_bot": True, "first_name": "t", "username": "t_bot"},
                    "text": text,
                },
            }
        )

    async def _discord(self, request: Request) -> Response:
        hook = request.path_params["hook_id"]
        payload = json.loads(await request.body())
        early = await self._common("discord", f"dc:{hook}", self.behaviour.discord_limits)
        if early is not None:
            kind, retry_after = early
            return self._discord_error(kind, retry_after)
        problem = check_discord_message(payload)
        if problem:
            self._count("discord", "400")
            return JSONResponse(
                {"message": "Invalid Form Body", "code": 50035, "errors": problem}, status_code=400
            )
        text = (
            (payload.get("content") or "")
            + "\n"
            + "\n".join(
                f"{e.get('title') or ''}\n{e.get('description') or ''}" for e in payload.get("embeds") or []
            )
        )
        message_id = self._record("discord", hook, text, payload, hook)
        return JSONResponse(
            {
                "id": str(message_id),
                "type": 0,
                "content": payload.get("content") or "",
                "channel_id": "1",
                "embeds": payload.get("embeds") or [],
                "webhook_id": hook,
            }
        )

    async def _common(self, platform: str, key: str, limits: tuple[Window, ...]) -> tuple[str, float] | None:
        """Decide the non-success answers shared by both platforms; None means go ahead."""
        behaviour = self.behaviour
        if behaviour.delay_seconds:
            await asyncio.sleep(behaviour.delay_seconds)
        with self._lock:
            kind = behaviour.script.popleft() if behaviour.script else ""
            if not kind and behaviour.rng.random() < behaviour.random_failure_ratio:
                kind = behaviour.rng.choice(RANDOM_FAILURES)
        if kind.startswith("slow:"):
            await asyncio.sleep(float(kind.split(":")[1]))
        elif kind.startswith("429:"):
            return self._counted(platform, "429", (kind, float(kind.split(":")[1])))
        elif kind:
            return self._counted(platform, kind, (kind, 0.0))
        with self._lock:
            self._requests += 1
            if time.monotonic() < behaviour.down_until:
                return self._counted(platform, "502", ("502", 0.0))
            if behaviour.inject_429_every and self._requests % behaviour.inject_429_every == 0:
                return self._counted(platform, "429", ("429", behaviour.injected_retry_after))
            if behaviour.enforce_limits:
                now = time.monotonic()
                sent = self._sent[key]
                wait = 0.0
                for window in limits:
                    while sent and len(sent) > max(w.messages for w in limits):
                        sent.popleft()
                    if len(sent) >= window.messages:
                        wait = max(wait, sent[-window.messages] + window.seconds - now)
                if wait > 0:
                    return self._counted(platform, "429", ("429", wait))
                sent.append(now)
        return None

    def _counted(self, platform: str, kind: str, result: tuple[str, float]) -> tuple[str, float]:
        self.responses[kind] += 1
        self.answers[(platform, kind)] += 1
        return result

    def _count(self, platform: str, kind: str) -> None:
        with self._lock:
            self.responses[kind] += 1
            self.answers[(platform, kind)] += 1

    def _record(
        self, platform: str, destination: str, text: str, payload: dict[str, Any], sender: str
    ) -> int:
        with self._lock:
            self.delivered.append(Delivered(platform, destination, text, payload, time.monotonic(), sender))
            self.responses["200"] += 1
            self.answers[(platform, "200")] += 1
            return len(self.delivered)

    def _discord_error(self, kind: str, retry_after: float) -> Response:
        if kind.startswith("429"):
            headers = {"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": "user"}
            if self.behaviour.discord_429_via_header:
                headers["Via"] = "1.1 google"
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(retry_after, 3),
                "global": False,
            }
            return JSONResponse(body, status_code=429, headers=headers)
        if kind == "400":
            return JSONResponse({"message": "Invalid Form Body", "code": 50035}, status_code=400)
        if kind == "404":
            return JSONResponse({"message": "Unknown Webhook", "code": 10015}, status_code=404)
        return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=int(kind[:3]))


def _telegram_error(kind: str, retry_after: float) -> Response:
    if kind.startswith("429"):
        seconds = max(1, math.ceil(retry_after))
        body = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {seconds}",
            "parameters": {"retry_after": seconds},
        }
        return JSONResponse(body, status_code=429)
    if kind == "400":
        return JSONResponse(
            {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400
        )
    if kind == "403":
        return JSONResponse({"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked"}, 403)
    return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=int(kind[:3]))


async def _form_or_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        document = json.loads(raw or b"{}")
        return document if isinstance(document, dict) else {}
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


@contextmanager
def serving(app: Any, port: int) -> Iterator[None]:
    """Serve an ASGI app on 127.0.0.1:port from a background thread until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"fake server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def fake_chat_api() -> Iterator[FakeChatAPI]:
    fake = FakeChatAPI()
    with serving(fake.app, fake.port):
        yield fake
