#!/usr/bin/env bash
# Runs every test of ostor-bridge: go vet, then the Go tests with the race detector, which include
# the end-to-end tests (real daemon, MariaDB, php) and the PHPUnit suite of the WHMCS module.
# Installs and starts what the tests need first (deploy/ensure-deps.sh).
#
# Usage: deploy/test.sh [go test flags...]   e.g. deploy/test.sh -run TestCreateAccount ./cmd/...
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-deps.sh
. deploy/go-env.sh

# The tests create their own databases on the server named by OSTOR_BRIDGE_TEST_MYSQL (a
# go-sql-driver DSN without a database). Without it, root over TCP is tried first, then root over
# the default socket, which is how a fresh Debian MariaDB lets the system root user in.
if [[ -z "${OSTOR_BRIDGE_TEST_MYSQL:-}" ]]; then
  if ! mariadb --connect-timeout=2 -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    socket=$(mariadb --connect-timeout=2 -uroot -N -e 'SELECT @@socket' 2>/dev/null || true)
    if [[ -z "$socket" ]]; then
      echo "test.sh: cannot log in to MariaDB as root over TCP or the socket; set OSTOR_BRIDGE_TEST_MYSQL to a DSN of a user that may create databases, e.g. 'tester:password@tcp(127.0.0.1:3306)/'" >&2
      exit 1
    fi
    export OSTOR_BRIDGE_TEST_MYSQL="root@unix($socket)/"
  fi
fi

go vet ./...
if (($#)); then
  exec go test -race -count=1 "$@"
fi
exec go test -race -count=1 -timeout 20m ./...
