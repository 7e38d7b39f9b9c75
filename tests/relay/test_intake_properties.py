"""Property tests of the webhook intake: whatever the body, the answer is 2xx or a counted 4xx.

docs/relay.md promises 503 (storage) as the only 5xx; a 500 would make Alertmanager retry a body that can
never succeed, and an uncounted 4xx would lose a notification without any alert.
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.relay.app import create_app
from exporter.relay.service import RelayService
from tests.relay.fake_chat import fake_chat_api
from tests.relay.harness import AUTH, fixture_body, relay_config

Post = Callable[[str, bytes], int]

# Any Unicode, lone surrogates included (json.dumps writes them as \\udXXX escapes).
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=12,
)
# JSON text of a value: any of the above, or an integer too long for Python's int() (4,300 digits).
JSON_TEXTS = JSON_VALUES.map(json.dumps) | st.integers(min_value=4290, max_value=6000).map(lambda n: "9" * n)
PLACEHOLDER = "REPLACED-BY-THE-TEST"
TIMESTAMPS = (
    st.sampled_from(
        [
            "2026-11-25T16:47:37Z",
            "2026-11-25T16:47:37",
            "2026-11-25T16:47:37+05:00",
            "0001-01-01T00:00:00Z",
            "",
        ]
    )
    | ANY_TEXT
)


@pytest.fixture(scope="module")
def post() -> Iterator[Post]:
    """One relay for every example, its event loop in a thread; `post(channel, body)` returns the status."""
    with tempfile.TemporaryDirectory(prefix="relay-intake-") as tmp, fake_chat_api() as fake:
        service = RelayService(relay_config(fake.url, str(Path(tmp) / "q.db")))
        app = create_app(service)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()

        def run(coroutine: Any) -> Any:
            future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, loop)
            return future.result(timeout=30)

        run(service.start())
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relay")

        def send(channel: str, body: bytes) -> int:
            rejected_before = _rejected(service)
            response = run(client.post(f"/webhook/{channel}", content=body, headers=AUTH))
            if 400 <= response.status_code < 500:
                assert _rejected(service) == rejected_before + 1, f"uncounted {response.status_code}"
            return int(response.status_code)

        try:
            yield send
        finally:
            run(client.aclose())
            run(service.stop())
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()


def _rejected(service: RelayService) -> float:
    registry = service.metrics.registry
    return sum(
        sample.value
        for metric in registry.collect()
        if metric.name == "hyperliquid_relay_webhooks_rejected"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def assert_never_5xx(status: int) -> None:
    assert 200 <= status < 300 or 400 <= status < 500, status


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(document=JSON_TEXTS, channel=st.sampled_from(["telegram", "discord"]))
def test_any_json_gets_2xx_or_a_counted_4xx(post: Post, document: str, channel: str) -> None:
    assert_never_5xx(post(channel, document.encode()))


@SETTINGS
@given(raw=st.binary(max_size=200) | ANY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_any_bytes_get_2xx_or_a_counted_4xx(post: Post, raw: bytes) -> None:
    assert_never_5xx(post("telegram", raw))


FIELDS = [
    ("groupKey",),
    ("status",),
    ("truncatedAlerts",),
    ("groupLabels",),
    ("commonLabels",),
    ("externalURL",),
    ("alerts",),
    ("alerts", 0, "labels"),
    ("alerts", 0, "labels", "alertname"),
    ("alerts", 0, "annotations", "summary"),
    ("alerts", 0, "annotations", "runbook_url"),
    ("alerts", 0, "annotations", "dashboard_path"),
    ("alerts", 0, "generatorURL"),
    ("alerts", 0, "fingerprint"),
    ("alerts", 0, "status"),
]


@SETTINGS
@given(
    field=st.sampled_from(FIELDS),
    value=JSON_TEXTS,
    starts=TIMESTAMPS,
    ends=TIMESTAMPS,
    channel=st.sampled_from(["telegram", "discord"]),
)
def test_a_real_webhook_with_any_field_replaced_gets_2xx_or_a_counted_4xx(
    post: Post, field: tuple[str | int, ...], value: str, starts: str, ends: str, channel: str
) -> None:
    body = fixture_body("am025_webhook_firing")
    second = copy.deepcopy(body["alerts"][0])
    second.update(fingerprint="0000000000000002", startsAt=starts, endsAt=ends)
    body["alerts"].append(second)
    target: Any = body
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = PLACEHOLDER
    raw = json.dumps(body).replace(json.dumps(PLACEHOLDER), value)
    assert_never_5xx(post(channel, raw.encode()))


def test_the_real_webhook_is_accepted(post: Post) -> None:
    """The properties above would hold trivially if everything were refused."""
    assert post("discord", json.dumps(fixture_body("am025_webhook_firing")).encode()) == 200
