# Two entry points, as in README: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROM_BIN := $(CURDIR)/.cache/prometheus/usr/bin
CONFIG ?= config.yaml
LISTEN ?= :9762
# Test modules run on this many processes (a module stays on one: its shared stacks do too).
TEST_WORKERS ?= 2

.PHONY: run test lint typecheck pytest install binaries chromium demo clean wheel generate lock backtest-reports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# requirements/dev.lock pins every package with its hashes; the project itself is installed without
# re-resolving. `make lock` (needs uv) re-locks after a pyproject.toml change.
$(VENV)/.installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

binaries:
	scripts/install-prometheus-binaries.sh

# The headless browser tests/backtest opens the reports in.
chromium:
	scripts/install-chromium.sh

run: install
	$(BIN)/hyperliquid-exporter --config.file=$(CONFIG) --web.listen-address=$(LISTEN)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install binaries chromium
	PATH="$(PROM_BIN):$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

test: lint typecheck pytest

# make demo SCENARIO=cascade-2025-10-10 SPEED=10
SCENARIO ?= jelly-2025-03-26
SPEED ?= 1
demo: install binaries
	PYTHONPATH=$(CURDIR) $(BIN)/python scripts/demo.py $(SCENARIO) --speed=$(SPEED)

# A wheel that knows its source revision (hyperliquid_exporter_build_info{revision}).
wheel: install
	git rev-parse HEAD > exporter/REVISION
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir dist .
	rm -f exporter/REVISION

# deploy/kubernetes/generated from rules/, grafana/dashboards/ and config.yaml (tests/mixin checks it is current).
generate: install
	$(BIN)/python -m mixin.generate --output-dir .

# The backtest report of every shipped incident scenario (docs/backtest.md), one after the other.
BACKTEST_DIR ?= backtest-reports
BACKTEST_SCENARIOS ?= $(filter-out calm,$(basename $(notdir $(wildcard exporter/replay/scenarios/*.yaml))))
backtest-reports: install binaries
	mkdir -p $(BACKTEST_DIR)
	for scenario in $(BACKTEST_SCENARIOS); do \
		PATH="$(PROM_BIN):$(CURDIR)/$(BIN):$$PATH" $(BIN)/hyperliquid-backtest --scenario=$$scenario \
			--output=$(BACKTEST_DIR)/$$scenario.html || exit 1; \
	done

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache dist build exporter/REVISION $(BACKTEST_DIR)

lock:
	scripts/lock-dependencies.sh
