"""The shared web layer in process: basic auth, gzip, telemetry path, headers, reload, process metrics."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import httpx
import pytest

from exporter.exposition import Exposition
from exporter.server import build_app
from exporter.store import SnapshotStore
from exporter.web.flags import WebOptions
from exporter.web.layer import WebLayer, check_telemetry_path
from exporter.web.reload import ReloadError
from tests.web.tls import self_signed, write_web_config

BIG_EXPOSITION = b"".join(b'hyperliquid_mark_price{coin="C%d"} 1.0\n' % i for i in range(2000))


def client_for(layer: WebLayer, telemetry_path: str = "/metrics") -> httpx.AsyncClient:
    def render() -> Exposition:
        return Exposition.of(BIG_EXPOSITION + layer.telemetry.render())

    app = layer.wrap(build_app(SnapshotStore(), render, telemetry_path))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://exporter")


async def test_basic_auth_guards_every_path(tmp_path: Path) -> None:
    layer = WebLayer(str(write_web_config(tmp_path / "web.yml", users={"alice": "s3cret"})), "test")
    async with client_for(layer) as client:
        for path in ("/metrics", "/", "/-/healthy", "/-/ready"):
            refused = await client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Basic")
        assert (await client.get("/metrics", auth=("alice", "wrong"))).status_code == 401
        assert (await client.get("/metrics", auth=("mallory", "s3cret"))).status_code == 401
        assert (await client.post("/-/reload")).status_code == 401
        for _ in range(2):  # the second answer comes from the verdict cache
            assert (await client.get("/metrics", auth=("alice", "s3cret"))).status_code == 200


async def test_gzip_only_when_asked(tmp_path: Path) -> None:
    layer = WebLayer("", "test")
    async with client_for(layer) as client:
        zipped = await client.get("/metrics", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) < len(BIG_EXPOSITION) / 5
        assert zipped.content.startswith(BIG_EXPOSITION)  # httpx decoded it
        raw = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers
        assert raw.content.startswith(BIG_EXPOSITION)
    # Decoding by hand, to be sure the body on the wire really is gzip.
    async with client_for(layer) as client:
        async with client.stream("GET", "/metrics", headers={"Accept-Encoding": "gzip"}) as streamed:
            wire = b"".join([chunk async for chunk in streamed.aiter_raw()])
        assert gzip.decompress(wire).startswith(BIG_EXPOSITION)


async def test_telemetry_path_and_process_metrics() -> None:
    layer = WebLayer("", "hyperliquid_exporter")
    async with client_for(layer, "/custom/metrics") as client:
        assert (await client.get("/metrics")).status_code == 404
        body = (await client.get("/custom/metrics")).text
        landing = (await client.get("/")).text
    assert "href='custom/metrics'" in landing
    for name in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
        "python_info",
        "python_gc_collections_total",
        "hyperliquid_exporter_config_last_reload_successful 1.0",
    ):
        assert name in body, name


@pytest.mark.parametrize("path", ["metrics", "/", "/-/reload", "/a b"])
def test_bad_telemetry_paths(path: str) -> None:
    with pytest.raises(ValueError, match=repr(path)):
        check_telemetry_path(path)


async def test_reload_swaps_users_and_keeps_them_on_a_broken_file(tmp_path: Path) -> None:
    path = write_web_config(tmp_path / "web.yml", users={"alice": "one"})
    layer = WebLayer(str(path), "test", WebOptions(enable_lifecycle=True))
    async with client_for(layer) as client:
        assert (await client.get("/-/reload", auth=("alice", "one"))).status_code == 405
        write_web_config(path, users={"bob": "two"})
        assert (await client.post("/-/reload", auth=("alice", "one"))).status_code == 200
        assert (await client.get("/metrics", auth=("alice", "one"))).status_code == 401
        assert (await client.get("/metrics", auth=("bob", "two"))).status_code == 200

        path.write_text("basic_auth_users: {bob: not-a-hash}\n")
        failed = await client.post("/-/reload", auth=("bob", "two"))
        assert failed.status_code == 500
        assert "basic_auth_users.bob: not a bcrypt hash" in failed.text
        metrics = await client.get("/metrics", auth=("bob", "two"))
        assert metrics.status_code == 200  # the previous users stay in force
        assert "test_config_last_reload_successful 0.0" in metrics.text


async def test_tls_cannot_be_switched_on_by_a_reload(tmp_path: Path) -> None:
    path = write_web_config(tmp_path / "web.yml")
    layer = WebLayer(str(path), "test")
    write_web_config(path, self_signed(tmp_path))
    with pytest.raises(ReloadError, match="turning TLS on or off takes a restart"):
        await layer.reloader.reload()
    assert layer.ssl_context is None


async def test_configured_headers_are_added(tmp_path: Path) -> None:
    path = tmp_path / "web.yml"
    path.write_text("http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
    async with client_for(WebLayer(str(path), "test")) as client:
        assert (await client.get("/-/healthy")).headers["x-frame-options"] == "deny"


async def test_reload_endpoint_is_off_without_the_lifecycle_flag(tmp_path: Path) -> None:
    path = write_web_config(tmp_path / "web.yml")
    layer = WebLayer(str(path), "test")
    async with client_for(layer) as client:
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            refused = await client.post("/-/reload", headers={"content-type": content_type}, content=b"x")
            assert refused.status_code == 403
            assert refused.text == "Lifecycle API is not enabled.\n"
    path.write_text("basic_auth_users: {bob: not-a-hash}\n")  # a reload would fail: none ran
    assert layer.reloader.last_successful


async def test_a_hanging_reload_fails_and_releases_the_lock(tmp_path: Path) -> None:
    layer = WebLayer(str(write_web_config(tmp_path / "web.yml")), "test")
    layer.reloader.timeout = 0.2
    hang = asyncio.Event()

    async def hanging_step() -> None:
        await hang.wait()

    layer.add_reload_step(hanging_step)
    with pytest.raises(ReloadError, match=r"did not finish within 0\.2s"):
        await layer.reloader.reload()
    assert not layer.reloader.last_successful
    layer.reloader.steps.remove(hanging_step)
    await layer.reloader.reload()  # the lock was released
    assert layer.reloader.last_successful


async def test_a_cost_31_hash_fails_the_reload_at_once(tmp_path: Path) -> None:
    path = write_web_config(tmp_path / "web.yml")
    layer = WebLayer(str(path), "test")
    path.write_text("basic_auth_users: {alice: '$2b$31$" + "a" * 53 + "'}\n")
    with pytest.raises(ReloadError, match="bcrypt cost 31 is outside"):
        await asyncio.wait_for(layer.reloader.reload(), timeout=5)
    assert not layer.reloader.last_successful
