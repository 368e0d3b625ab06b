#!/usr/bin/env bash
# Runs every test of ostor-bridge: go vet, then the Go tests with the race detector, which include
# the end-to-end tests (real daemon, MariaDB, php) and the PHPUnit suite of the WHMCS module.
# Installs and starts what the tests need first (deploy/ensure-deps.sh).
#
# Usage: deploy/test.sh [go test flags...]   e.g. deploy/test.sh -run TestCreateAccount ./cmd/...
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"

deploy/ensure-deps.sh

go vet ./...
if (($#)); then
  exec go test -race -count=1 "$@"
fi
exec go test -race -count=1 -timeout 20m ./...
