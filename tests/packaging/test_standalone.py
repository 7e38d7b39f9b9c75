"""The repository stands alone: no file reaches for a directory outside it.

A user clones this repository and nothing else, so a test, script or document that reads
`../something` beyond the repository's root works only on the machine it was written on.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.binaries import FIXTURES_DIR, REPO_ROOT

RELATIVE_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[\w.\-/]*)")
# Python reaching above the repository's root from a path it computed.
PYTHON_ESCAPE = re.compile(r"REPO_ROOT\.parent\b|parents\[(?:[3-9]|\d\d)\]")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    files = []
    for name in listed:
        path = REPO_ROOT / name.decode()
        if name and path.is_file() and path.stat().st_size < 2_000_000:
            files.append(path)
    return files


def escapes(base: Path, relative: str) -> bool:
    target = (base / relative).resolve()
    return not target.is_relative_to(REPO_ROOT.resolve())


def outside_references(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in RELATIVE_PATH.finditer(line):
            if escapes(path.parent, match.group(1)):
                found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {match.group(1)}")
        if path.suffix == ".py" and PYTHON_ESCAPE.search(line) and path.name != Path(__file__).name:
            found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    return found


def test_no_file_refers_to_a_directory_outside_the_repository() -> None:
    files = tracked_text_files()
    assert len(files) > 100  # the listing really covered the tree
    offenders = [reference for path in files for reference in outside_references(path)]
    assert offenders == [], "references outside the repository:\n" + "\n".join(offenders)


def test_the_check_sees_an_escape(tmp_path: Path) -> None:
    assert escapes(REPO_ROOT / "tests", "../../outside/fixtures")
    assert not escapes(REPO_ROOT / "deploy", "../config.yaml")


def test_fixtures_live_in_the_repository() -> None:
    assert FIXTURES_DIR.is_relative_to(REPO_ROOT)
    recorded = sorted((FIXTURES_DIR / "hyperliquid-recorded").glob("*.json"))
    assert recorded, "recorded Hyperliquid responses are missing"
    readme = (FIXTURES_DIR / "README.md").read_text(encoding="utf-8")
    for path in FIXTURES_DIR.rglob("*.json"):
        # Every fixture is accounted for in the README, by its folder and name pattern.
        assert path.parent.name in readme, f"{path} is not described in tests/fixtures/README.md"
