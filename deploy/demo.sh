#!/usr/bin/env bash
# The main job end to end, on this machine alone: a WHMCS order provisions an S3 user.
#
# It starts a private MariaDB (in a temporary directory, on a unix socket, leaving any system
# server alone) with a WHMCS-shaped schema and a sample pending service, the fake gateway
# ostor-sim, and the ostor-bridge daemon. Then it runs the real PHP module the way WHMCS does on
# order acceptance (ostorbridge_CreateAccount), twice, and shows the S3 user on the gateway and
# the access-key note in tblnotes. The customer then uploads and downloads objects with the new
# user's own key, and the gateway records that traffic as usage statistics. The daemon collects
# them and writes disk and bandwidth usage into tblhosting, and the script checks that the
# collected numbers equal the traffic sent. Then it suspends, unsuspends and terminates the
# service the way WHMCS does, purging the customer's bucket. Everything is stopped and removed at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-deps.sh --no-start
. deploy/go-env.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/ostor-bridge-demo.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# Exiting on SIGINT or SIGTERM runs the EXIT trap, which stops the servers and removes $work.
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }
random_secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

wait_for_line() { # file pattern what
  for _ in $(seq 1 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: $3 did not start; its output:" >&2
  cat "$1" >&2
  exit 1
}

step "Building ostor-bridge, ostor-sim and the demo's S3 client"
go build -o "$work/bin/" ./cmd/ostor-bridge ./cmd/ostor-sim ./deploy/demo/traffic

step "Starting a private MariaDB in $work/db"
sock="$work/mysqld.sock"
os_user=$(id -un)
mariadb-install-db --no-defaults --datadir="$work/db" --user="$os_user" \
  --auth-root-authentication-method=normal --skip-test-db >"$work/install-db.log" 2>&1 ||
  { cat "$work/install-db.log" >&2; exit 1; }
/usr/sbin/mariadbd --no-defaults --datadir="$work/db" --socket="$sock" --skip-networking \
  --user="$os_user" --pid-file="$work/mysqld.pid" --log-error="$work/mysqld.err" 2>>"$work/mysqld.err" &
pids+=($!)
for _ in $(seq 1 100); do
  mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1 && break
  sleep 0.1
done
mysql_cmd=(mariadb --socket="$sock" -uroot)
"${mysql_cmd[@]}" -e "CREATE DATABASE whmcs CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci"
"${mysql_cmd[@]}" whmcs <whmcs/whmcstest/schema.sql
"${mysql_cmd[@]}" whmcs <deploy/demo/seed.sql
echo "Loaded the WHMCS schema and a pending service #1 for client #1:"
"${mysql_cmd[@]}" whmcs -t -e "SELECT h.id AS service, h.domainstatus AS status, c.email, p.name AS product, p.servertype AS module
  FROM tblhosting h JOIN tblclients c ON c.id = h.userid JOIN tblproducts p ON p.id = h.packageid"

step "Starting the fake S3 gateway (ostor-sim)"
gateway_key="0123456789abcdefDEMO"
gateway_secret=$(random_secret)
# The vendor's samples show 30-minute usage-statistics periods. 2 s keeps the demo short.
usage_period=2
OSTOR_SIM_SECRET_KEY="$gateway_secret" "$work/bin/ostor-sim" -listen 127.0.0.1:0 -profile vhi63 \
  -access-key "$gateway_key" -usage-period "${usage_period}s" >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
wait_for_line "$work/sim.out" "listening on" "ostor-sim"
gateway_url=$(grep -o 'http://[0-9.:]*' "$work/sim.out" | head -n1)
echo "ostor-sim serves the admin API and the S3 API at $gateway_url"

step "Starting the ostor-bridge daemon"
rpc_secret=$(random_secret)
cat >"$work/ostor-bridge.toml" <<TOML
[rpc]
listen = "unix:$work/rpc.sock"

[database]
socket = "$sock"
user = "root"
name = "whmcs"

[gateway]
endpoint = "$gateway_url"
access_key_id = "$gateway_key"
profile = "vhi63"
allow_insecure_http = true
public_endpoint = "https://s3.example.com"

[metrics]
listen = "127.0.0.1:0"

[log]
format = "console"
TOML
export OSTOR_BRIDGE_RPC_SECRET="$rpc_secret" OSTOR_BRIDGE_GATEWAY_SECRET_KEY="$gateway_secret"
"$work/bin/ostor-bridge" serve --config "$work/ostor-bridge.toml" >"$work/daemon.out" 2>"$work/daemon.log" &
daemon_pid=$!
pids+=("$daemon_pid")
wait_for_line "$work/daemon.out" "listening on" "ostor-bridge"
cat "$work/daemon.out"

params=$(printf '{"serviceid":1,"userid":1,"serverhostname":"unix:%s","serverpassword":"%s"}' "$work/rpc.sock" "$rpc_secret")

step "WHMCS accepts the order: php runs ostorbridge_CreateAccount(\$params) for service #1"
result=$(php php-shim/tests/call-module.php CreateAccount <<<"$params")
echo "CreateAccount returned $result"
[[ "$result" == '"success"' ]] || { echo "demo: CreateAccount failed" >&2; cat "$work/daemon.log" >&2; exit 1; }
# WHMCS itself marks a service Active once its CreateAccount succeeded.
"${mysql_cmd[@]}" whmcs -e "UPDATE tblhosting SET domainstatus = 'Active' WHERE id = 1"

step "The S3 user now on the gateway (secret keys are never printed)"
email=$("${mysql_cmd[@]}" whmcs -N -e "SELECT s3_email FROM mod_ostorbridge_identities WHERE service_id = 1")
"$work/bin/ostor-bridge" user --config "$work/ostor-bridge.toml" --email "$email"

step "The access-key note the daemon wrote into tblnotes (the admin's earlier note is untouched)"
"${mysql_cmd[@]}" whmcs -e "SELECT id, userid, adminid, created, sticky, note FROM tblnotes WHERE userid = 1 ORDER BY id\G"

step "An admin presses Create again: the call is idempotent"
result=$(php php-shim/tests/call-module.php CreateAccount <<<"$params")
echo "CreateAccount returned $result"
"${mysql_cmd[@]}" whmcs -t -e "SELECT
  (SELECT COUNT(*) FROM mod_ostorbridge_identities) AS s3_identities,
  (SELECT COUNT(*) FROM mod_ostorbridge_keys) AS access_keys,
  (SELECT COUNT(*) FROM tblnotes WHERE userid = 1) AS notes,
  (SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE state = 'done') AS journaled_operations"

step "The customer stores and fetches files with the new user's own key through the S3 API"
"$work/bin/traffic" -endpoint "$gateway_url" -profile vhi63 -access-key "$gateway_key" -email "$email" \
  -usage-period "${usage_period}s" | tee "$work/traffic.out"

step "ostor-bridge usage collect stores the statistics object the gateway wrote for that period"
"$work/bin/ostor-bridge" usage collect --config "$work/ostor-bridge.toml" | tee "$work/collect.out"
echo "ostor-sim logged the object when the collector's listing request found its period over:"
grep '"msg":"usage object written"' "$work/sim.log"
# sent_value LABEL and collected_value LABEL print the number after LABEL in the two outputs.
sent_value() { sed -n "s|^sent $1 ||p" "$work/traffic.out"; }
collected_value() { sed -n "s|^$1  *||p" "$work/collect.out"; }
for label in "bytes uploaded" "bytes downloaded" "requests put/get/list/other"; do
  sent=$(sent_value "$label")
  collected=$(collected_value "$label")
  if [[ -z "$sent" || "$sent" != "$collected" ]]; then
    echo "demo: the customer sent $label ${sent:-?}, but usage collect stored ${collected:-?}" >&2
    exit 1
  fi
done
echo "usage collect stored exactly the traffic sent: $(sent_value "bytes uploaded") bytes uploaded," \
  "$(sent_value "bytes downloaded") bytes downloaded, requests put/get/list/other $(sent_value "requests put/get/list/other")"

step "The daily usage history (ostor-bridge usage show)"
"$work/bin/ostor-bridge" usage show --config "$work/ostor-bridge.toml" --service 1 --days 1

step "WHMCS's daily cron: php runs ostorbridge_UsageUpdate(\$params), which writes disk and bandwidth usage (MB) into tblhosting"
echo "The daemon collects first, and finds no new statistics objects because the run above stored them."
result=$(php php-shim/tests/call-module.php UsageUpdate <<<"$params")
echo "UsageUpdate returned $result"
[[ "$result" == '"success"' ]] || { echo "demo: UsageUpdate failed" >&2; cat "$work/daemon.log" >&2; exit 1; }
"${mysql_cmd[@]}" whmcs -t -e "SELECT id AS service, domainstatus AS status, diskusage AS disk_mb, bwusage AS bandwidth_mb, lastupdate
  FROM tblhosting WHERE id = 1"

# run_module FUNCTION runs one module function for service #1 and stops the demo unless it succeeds.
run_module() {
  local result
  result=$(php php-shim/tests/call-module.php "$1" <<<"$params")
  echo "$1 returned $result"
  [[ "$result" == '"success"' ]] || { echo "demo: $1 failed" >&2; cat "$work/daemon.log" >&2; exit 1; }
}

step "The invoice is overdue: WHMCS runs SuspendAccount, then the payment arrives and it runs UnsuspendAccount"
for function in SuspendAccount UnsuspendAccount; do
  run_module "$function"
  "$work/bin/ostor-bridge" user --config "$work/ostor-bridge.toml" --email "$email" | grep '^State'
done

step "The service is cancelled: WHMCS runs TerminateAccount, but the S3 user still owns a bucket"
echo "The product keeps the customer's data by default: the daemon disables the user and returns an error."
result=$(php php-shim/tests/call-module.php TerminateAccount <<<"$params")
echo "TerminateAccount returned $result"
[[ "$result" != '"success"' ]] || { echo "demo: TerminateAccount deleted a user that owns buckets" >&2; exit 1; }
"$work/bin/ostor-bridge" user --config "$work/ostor-bridge.toml" --email "$email" | grep '^State'

step "The admin sets the product's \"When terminated with buckets\" to purge and runs TerminateAccount again"
echo "The daemon deletes every object and bucket with the user's own key, then the user; a second call changes nothing."
"${mysql_cmd[@]}" whmcs -e "UPDATE tblproducts SET configoption8 = 'purge' WHERE id = 1"
run_module TerminateAccount
run_module TerminateAccount
"${mysql_cmd[@]}" whmcs -e "SELECT id, note FROM tblnotes WHERE userid = 1 ORDER BY id\G"

step "What Prometheus scrapes from GET /metrics (docs/metrics.md; histogram buckets left out)"
metrics_addr=$(sed -n 's/^ostor-bridge metrics on //p' "$work/daemon.out")
curl -fsS "http://$metrics_addr/metrics" | grep '^ostor_bridge_' | grep -v '_bucket{'

step "The daemon's log (one line per RPC call)"
cat "$work/daemon.log"

step "Stopping the daemon with SIGTERM"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "ostor-bridge stopped cleanly"
