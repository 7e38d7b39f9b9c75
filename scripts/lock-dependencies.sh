#!/usr/bin/env bash
# Re-lock the Python dependencies, every package pinned with its hashes:
#   requirements/runtime.lock  what the exporter, relay and simulator need (the image and pip installs)
#   requirements/dev.lock      the runtime packages at the same versions, plus the development tools
#                              (what `make install` installs)
# Needs uv on PATH (`pip install uv`). Existing pins are kept unless pyproject.toml asks otherwise; pass
# --upgrade (or --upgrade-package NAME) to take newer releases. tests/packaging checks the two files agree.
set -euo pipefail
cd "$(dirname "$0")/.."
common=(--generate-hashes --python-version 3.11 --no-header --annotation-style line --quiet)
uv pip compile pyproject.toml "${common[@]}" "$@" --output-file requirements/runtime.lock
uv pip compile pyproject.toml --extra dev --constraint requirements/runtime.lock "${common[@]}" "$@" \
    --output-file requirements/dev.lock
