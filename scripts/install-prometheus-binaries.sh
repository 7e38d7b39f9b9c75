#!/usr/bin/env bash
# Installs Debian's prometheus, promtool, prometheus-alertmanager, amtool and prometheus-node-exporter
# (the benchmark's reference point) into DIR (default .cache/prometheus) without running post-install
# scripts or starting services, plus Alertmanager's default templates at the path Debian's build expects.
#
# The versions are those of Debian trixie, the newest Debian release: Prometheus 2.53.3 and Alertmanager
# 0.28.1: deploy/docker-compose.yml runs the same Alertmanager and the same Prometheus 2.53 LTS line
# (tests/grafana/test_compose.py checks that they agree). Trixie's packages are fetched with a private apt configuration under a temporary directory,
# so the machine's own sources (bookworm on CI) are left alone; Debian's archive keyring verifies them.
# Idempotent: does nothing when the expected versions are present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.cache/prometheus}"
bin="$dest/usr/bin"
suite=trixie
prometheus_version=2.53.3
alertmanager_version=0.28.1
packages=(prometheus promtool prometheus-alertmanager prometheus-node-exporter)
# Debian's Alertmanager reads its built-in templates from this fixed path and refuses to load any
# configuration without them; the extracted package only has them under $dest.
debian_templates=/usr/share/prometheus/alertmanager

install_templates() {
  local source="$dest/usr/share/prometheus/alertmanager"
  if ! cmp -s "$source/default.tmpl" "$debian_templates/default.tmpl" \
      || ! cmp -s "$source/email.tmpl" "$debian_templates/email.tmpl"; then
    if ! { mkdir -p "$debian_templates" && cp "$source/"*.tmpl "$debian_templates/"; }; then
      echo "install-prometheus-binaries: cannot write $debian_templates (run as root once)" >&2
      exit 1
    fi
  fi
}

installed_versions_match() {
  [[ -x "$bin/prometheus" && -x "$bin/promtool" && -x "$bin/prometheus-alertmanager" \
     && -x "$bin/amtool" && -x "$bin/prometheus-node-exporter" ]] \
    && "$bin/prometheus" --version 2>&1 | grep -q "version ${prometheus_version}+" \
    && "$bin/prometheus-alertmanager" --version 2>&1 | grep -q "version ${alertmanager_version}+"
}

if installed_versions_match; then
  install_templates
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
# The Debian archive this machine's apt already uses (its main archive, not -security), with trixie as suite.
mirror="$(
  { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true
)"
if [[ -z "$mirror" ]]; then
  echo "install-prometheus-binaries: no Debian archive in this machine's apt sources" >&2
  exit 1
fi
cat > "$work/sources/$suite.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_options=(
  -o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$work/sources"
  -o "Dir::State::lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_options[@]}" -qq update
(cd "$work/debs" && apt-get "${apt_options[@]}" -qq download "${packages[@]}")
rm -rf "$dest"
mkdir -p "$dest"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dest"
done
if ! installed_versions_match; then
  echo "install-prometheus-binaries: $suite no longer ships Prometheus $prometheus_version and" \
    "Alertmanager $alertmanager_version; update the versions here and in deploy/docker-compose.yml" >&2
  "$bin/prometheus" --version 2>&1 | head -n 1 >&2
  "$bin/prometheus-alertmanager" --version 2>&1 | head -n 1 >&2
  exit 1
fi
install_templates
"$bin/prometheus" --version 2>&1 | head -n 1
"$bin/prometheus-alertmanager" --version 2>&1 | head -n 1
