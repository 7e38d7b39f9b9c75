"""The two lock files: every package pinned with hashes, runtime and development kept apart but in step."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from packaging.requirements import Requirement

from tests.support.binaries import REPO_ROOT

RUNTIME_LOCK = REPO_ROOT / "requirements" / "runtime.lock"
DEV_LOCK = REPO_ROOT / "requirements" / "dev.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) for every requirement of a pip-compiled lock file."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    entries = re.split(r"\n(?=\S)", lock.read_text())
    for entry in entries:
        match = PIN.match(entry)
        if match is None:
            assert entry.startswith("#") or not entry.strip(), f"{lock.name}: unexpected line {entry!r}"
            continue
        name = _normalise(match.group(1))
        assert name not in pins, f"{lock.name}: {name} pinned twice"
        pins[name] = (match.group(2), frozenset(HASH.findall(entry)))
    return pins


def _runtime_closure(distribution: str) -> set[str]:
    """Names of every distribution `distribution` needs at run time (extras it asks for included)."""
    needed: set[str] = set()
    pending = [Requirement(r) for r in importlib.metadata.requires(distribution) or []]
    pending = [r for r in pending if r.marker is None or r.marker.evaluate({"extra": ""})]
    while pending:
        requirement = pending.pop()
        name = _normalise(requirement.name)
        extras = requirement.extras or {""}
        if name in needed and not requirement.extras:
            continue
        needed.add(name)
        for raw in importlib.metadata.requires(requirement.name) or []:
            sub = Requirement(raw)
            if sub.marker is None or any(sub.marker.evaluate({"extra": extra}) for extra in extras):
                pending.append(sub)
    return needed


def test_every_locked_package_is_pinned_with_hashes() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        pins = _pins(lock)
        assert pins, f"{lock} pins nothing"
        unhashed = sorted(name for name, (_, hashes) in pins.items() if not hashes)
        assert not unhashed, f"{lock.name}: no hash for {unhashed}"


def test_the_runtime_lock_holds_exactly_what_the_commands_need() -> None:
    assert set(_pins(RUNTIME_LOCK)) == _runtime_closure("hyperliquid-exporter")


def test_the_development_lock_has_the_runtime_packages_at_the_same_versions_and_hashes() -> None:
    runtime, dev = _pins(RUNTIME_LOCK), _pins(DEV_LOCK)
    differing = {name: (pin, dev.get(name)) for name, pin in runtime.items() if dev.get(name) != pin}
    assert not differing, f"run scripts/lock-dependencies.sh: {differing}"


def test_the_development_lock_has_every_development_tool_and_nothing_the_runtime_needs_is_missing() -> None:
    dev = _pins(DEV_LOCK)
    declared = [Requirement(r) for r in importlib.metadata.requires("hyperliquid-exporter") or []]
    tools = {
        _normalise(r.name) for r in declared if r.marker is not None and r.marker.evaluate({"extra": "dev"})
    }
    assert tools, "pyproject.toml declares no dev extra"
    assert tools <= set(dev), f"not locked: {sorted(tools - set(dev))}"


def test_installed_versions_are_the_locked_ones() -> None:
    """What this test run uses is what the lock says: the lock is what was tested."""
    for name, (version, _) in _pins(DEV_LOCK).items():
        assert importlib.metadata.version(name) == version, (
            f"{name}: installed, not {version}; run make install"
        )
