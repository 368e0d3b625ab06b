# Sourced by the deploy scripts: puts a Go on PATH that can build this module.
#
# Go 1.21 and later download the toolchain that GOTOOLCHAIN names from the Go module proxy, so a
# distribution's Go is enough to start from: Debian 12 has 1.23 in bookworm-backports, Ubuntu
# 24.04 has 1.22. deploy/ensure-deps.sh installs it when Go is missing.

# The toolchain used when the Go on PATH is older than go.mod's go line (1.26).
go_toolchain=go1.26.8

[[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"

# go_minor prints the minor version of the go command on PATH (23 for go1.23.4), or 0 when there is
# none. GOTOOLCHAIN=local stops an exported GOTOOLCHAIN from downloading a toolchain for the query.
go_minor() {
  local version
  version=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || { echo 0; return; }
  version=${version#go1.}
  echo "${version%%.*}"
}

if (( $(go_minor) >= 21 && $(go_minor) < 26 )); then
  export GOTOOLCHAIN=$go_toolchain
fi
