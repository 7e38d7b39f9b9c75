"""The rule files pass `promtool check rules` with lint, and every promtool unit test file passes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.rules.rulebook import RULE_FILES, RULE_TEST_FILES, RULE_TESTS_DIR, RULES_DIR
from tests.support.binaries import find_binary


def run_promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("promtool"), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_rule_files_exist() -> None:
    assert len(RULE_FILES) >= 5
    assert len(RULE_TEST_FILES) >= 10


def test_check_rules_passes_with_lint_fatal() -> None:
    result = run_promtool("check", "rules", "--lint=all", "--lint-fatal", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_FILES), result.stdout


@pytest.mark.parametrize("test_file", RULE_TEST_FILES, ids=lambda path: path.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = run_promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_reports_a_wrong_expectation(tmp_path: Path) -> None:
    """The harness can fail: the same test with one threshold-crossing annotation altered is rejected."""
    source = RULE_TESTS_DIR / "hlp.test.yml"
    text = source.read_text()
    assert "(-1.6M USD)." in text
    assert "../hyperliquid-hlp.rules.yml" in text
    broken = tmp_path / source.name
    broken.write_text(
        text.replace("(-1.6M USD).", "(-1.1M USD).").replace(
            "../hyperliquid-hlp.rules.yml", str(RULES_DIR / "hyperliquid-hlp.rules.yml")
        )
    )
    result = run_promtool("test", "rules", broken)
    assert result.returncode != 0
    assert "-1.1M USD" in result.stdout + result.stderr


def test_check_rules_rejects_duplicate_rules(tmp_path: Path) -> None:
    """Two alerts with the same name and labels would be merged silently: lint makes that fatal."""
    duplicated = tmp_path / "duplicated.rules.yml"
    duplicated.write_text(
        "groups:\n"
        "  - name: g\n"
        "    rules:\n"
        "      - {alert: HyperliquidX, expr: vector(1), labels: {severity: info}}\n"
        "      - {alert: HyperliquidX, expr: vector(2), labels: {severity: info}}\n"
    )
    result = run_promtool("check", "rules", "--lint=all", "--lint-fatal", duplicated)
    assert result.returncode != 0
    assert "duplicate" in (result.stdout + result.stderr).lower()
