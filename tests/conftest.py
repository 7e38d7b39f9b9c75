"""Suite-wide ordering: the longest modules are handed out first.

`make test` runs modules on two processes (`pytest -n 2 --dist loadfile`), which take modules in
collection order. The end-to-end scenarios take most of the suite's time on one process, mostly
waiting on the scenario clock; collected in their alphabetical place they started minutes into the run
and the whole suite waited for them at the end. Handed out first, the other process works through
everything else meanwhile.
"""

from __future__ import annotations

import pytest

# Longest first (tests/e2e/test_scenarios.py runs its scenarios three at a time in one module).
LONGEST_MODULES = (
    "tests/e2e/test_scenarios.py",
    "tests/e2e/test_liveness.py",
    "tests/backtest/test_report.py",
    "tests/e2e/test_node_mode.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: index for index, module in enumerate(LONGEST_MODULES)}

    def module_rank(item: pytest.Item) -> int:
        return rank.get(item.nodeid.split("::", 1)[0], len(rank))

    items.sort(key=module_rank)  # stable: every module keeps its own order
