#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser tests/backtest opens the backtest reports in (and the
# one that took the screenshots under docs/). Idempotent: does nothing when chromium is on PATH.
# Needs apt-get and root (CI's Debian image runs as root); says so and fails otherwise.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: chromium is not on PATH and apt-get is unavailable; install Chromium by hand" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-chromium: installing chromium needs root (or sudo)" >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
