"""Every link in README.md and docs/ resolves: to a file in the repository, or a heading in it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.support.binaries import REPO_ROOT

LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r'<a\s+(?:name|id)="([^"]+)"')


def documents() -> list[Path]:
    return [REPO_ROOT / "README.md", REPO_ROOT / "RUNBOOK.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]


def prose_lines(path: Path) -> list[str]:
    """The lines outside fenced code blocks, where links and headings mean something."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path):
        found.update(HTML_ANCHOR.findall(line))
        match = HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(path: Path) -> list[str]:
    targets: list[str] = []
    for line in prose_lines(path):
        without_code = re.sub(r"`[^`]*`", "", line)
        targets.extend(LINK.findall(without_code))
    return targets


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not checked offline
            continue
        file_part, _, fragment = target.partition("#")
        destination = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not destination.exists():
            broken.append(f"{target} (no file {destination.relative_to(REPO_ROOT.resolve())})")
        elif fragment and destination.suffix == ".md" and unquote(fragment) not in anchors(destination):
            broken.append(f"{target} (no heading #{fragment} in {destination.name})")
    return broken


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_link_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_slugs_follow_github() -> None:
    assert github_slug("Replay simulator (`hyperliquid-replay`)") == "replay-simulator-hyperliquid-replay"
    assert github_slug("Alert routing (Alertmanager)") == "alert-routing-alertmanager"
    assert (
        github_slug("HLP vault, accounts and liquidation events")
        == "hlp-vault-accounts-and-liquidation-events"
    )
