#!/usr/bin/env bash
# Installs Debian bookworm's prometheus, promtool, prometheus-alertmanager, amtool and
# prometheus-node-exporter (the benchmark's reference point) into .cache/prometheus without
# running post-install scripts or starting services. Idempotent: does nothing when present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/prometheus"
bin="$dest/usr/bin"
if [[ -x "$bin/prometheus" && -x "$bin/promtool" && -x "$bin/prometheus-alertmanager" \
      && -x "$bin/amtool" && -x "$bin/prometheus-node-exporter" ]]; then
  exit 0
fi
packages=(prometheus prometheus-alertmanager prometheus-node-exporter)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download "${packages[@]}" >/dev/null 2>&1; then
  echo "install-prometheus-binaries: package lists missing or stale, running apt-get update" >&2
  apt-get update -qq
  apt-get download "${packages[@]}"
fi
mkdir -p "$dest"
for deb in ./*.deb; do
  dpkg-deb -x "$deb" "$dest"
done
"$bin/prometheus" --version 2>&1 | head -n 1
"$bin/prometheus-alertmanager" --version 2>&1 | head -n 1
