#!/usr/bin/env bash
# Installs Debian bookworm's prometheus, promtool, prometheus-alertmanager, amtool and
# prometheus-node-exporter (the benchmark's reference point) into .cache/prometheus without
# running post-install scripts or starting services, plus Alertmanager's default templates at the
# path Debian's build expects. Idempotent: does nothing when present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/prometheus"
bin="$dest/usr/bin"
# Debian's Alertmanager reads its built-in templates from this fixed path and refuses to load any
# configuration without them; the extracted package only has them under .cache/.
debian_templates=/usr/share/prometheus/alertmanager
install_templates() {
  if [[ ! -f "$debian_templates/default.tmpl" ]]; then
    if ! { mkdir -p "$debian_templates" && cp "$dest/usr/share/prometheus/alertmanager/"*.tmpl "$debian_templates/"; }; then
      echo "install-prometheus-binaries: cannot write $debian_templates (run as root once)" >&2
      exit 1
    fi
  fi
}
if [[ -x "$bin/prometheus" && -x "$bin/promtool" && -x "$bin/prometheus-alertmanager" \
      && -x "$bin/amtool" && -x "$bin/prometheus-node-exporter" ]]; then
  install_templates
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
install_templates
"$bin/prometheus" --version 2>&1 | head -n 1
"$bin/prometheus-alertmanager" --version 2>&1 | head -n 1
