#!/usr/bin/env bash
# Installs (from Debian/Ubuntu packages) and starts what the demo and the tests need: Go (see
# go-env.sh), MariaDB, php-cli with the curl extension, PHPUnit, gcc (for go test -race) and
# Chromium (for the admin panel's browser tests). Safe to run again; it changes only what is missing.
#
# Usage: deploy/ensure-deps.sh [--no-start]
#   --no-start   install packages but leave the system MariaDB server alone (the demo runs its own)
set -euo pipefail

start_server=1
[[ "${1:-}" == "--no-start" ]] && start_server=0

log() { printf 'ensure-deps: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    log "need root to run: $*; run this script as root or install sudo"
    exit 1
  fi
}

. "$(dirname "$0")/go-env.sh"
if (( $(go_minor) < 21 )); then
  # A distribution Go from 1.21 on is enough: go-env.sh has it fetch the toolchain go.mod needs.
  . /etc/os-release
  if [[ "${ID:-}" == debian && "${VERSION_CODENAME:-}" == bookworm ]]; then
    log "installing Go from bookworm-backports (Debian 12's own golang-go is 1.19)"
    echo "deb http://deb.debian.org/debian bookworm-backports main" |
      as_root tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-go >/dev/null
  else
    log "installing golang-go"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go >/dev/null
  fi
  hash -r
  . "$(dirname "$0")/go-env.sh"
  if (( $(go_minor) < 21 )); then
    log "the packaged Go is older than 1.21 and cannot fetch Go 1.26; install Go 1.26 or newer (https://go.dev/doc/install) and run this again"
    exit 1
  fi
fi

packages=()
command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]] || packages+=(mariadb-server)
command -v mariadb >/dev/null || packages+=(mariadb-client)
command -v php >/dev/null || packages+=(php-cli)
if ! command -v php >/dev/null || ! php -m 2>/dev/null | grep -qx curl; then packages+=(php-curl); fi
command -v phpunit >/dev/null || packages+=(phpunit)
# go test -race needs cgo, hence a C compiler.
command -v gcc >/dev/null || packages+=(gcc libc6-dev)
# Headless Chromium drives the admin panel's browser tests (chromedp).
command -v chromium >/dev/null || packages+=(chromium)

if ((${#packages[@]})); then
  log "installing ${packages[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # policy-rc.d style start failures (no init system in containers) must not fail the install.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

((start_server)) || exit 0

mariadb_up() { mariadb-admin --connect-timeout=2 ping >/dev/null 2>&1 || mariadb-admin --connect-timeout=2 -h127.0.0.1 -uroot ping >/dev/null 2>&1; }

if ! mariadb_up; then
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  if ! as_root service mariadb start >/dev/null 2>&1; then
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  fi
  for _ in $(seq 1 60); do
    mariadb_up && break
    sleep 0.5
  done
  if ! mariadb_up; then
    log "MariaDB did not start within 30 s; see /var/log/mysql/error.log or journalctl -u mariadb"
    exit 1
  fi
fi
log "MariaDB, php, PHPUnit and Chromium are ready"
