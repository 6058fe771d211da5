#!/usr/bin/env bash
# Runs the whole test suite: gofmt, go vet, and go test ./... with a private
# pcscd (vsmartcard's vpcd driver, for the card tests) and an Xvfb display
# (for the screen tests), both stopped at the end.
#
#   scripts/test.sh           the suite, as CI runs it
#   scripts/test.sh -bench    the benchmarks instead of the tests
#
# Screenshots of the screen tests are left in artifacts/screens.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=test
if [ "${1:-}" = -bench ]; then mode=bench; fi

export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
export MADOGUCHI_ARTIFACTS="$PWD/artifacts"
mkdir -p "$MADOGUCHI_ARTIFACTS/screens"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files are not formatted:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

# pcscd: start our own unless one is already serving (a developer's machine).
if ! pgrep -x pcscd >/dev/null; then
  echo "== starting pcscd (vpcd driver)"
  mkdir -p /run/pcscd
  pcscd --foreground --error >"$MADOGUCHI_ARTIFACTS/pcscd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
fi
[ -S /run/pcscd/pcscd.comm ] || { echo "pcscd did not start; see $MADOGUCHI_ARTIFACTS/pcscd.log"; exit 1; }
export MADOGUCHI_PCSCD=1

# Xvfb: a private display for the screen tests, on a display number that
# Xvfb picks itself (-displayfd) so that a stale lock cannot get in the way.
echo "== starting Xvfb"
dfile="$MADOGUCHI_ARTIFACTS/xvfb.display"
rm -f "$dfile"
# 1024×768: the smallest screen the counter supports; the screenshots in
# artifacts/screens are taken at that size.
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$dfile" >"$MADOGUCHI_ARTIFACTS/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$dfile" ] && break; sleep 0.1; done
[ -s "$dfile" ] || { echo "Xvfb did not start; see $MADOGUCHI_ARTIFACTS/xvfb.log"; exit 1; }
export DISPLAY=":$(tr -d '[:space:]' <"$dfile")"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "Xvfb on $DISPLAY does not answer; see $MADOGUCHI_ARTIFACTS/xvfb.log"; exit 1; }
echo "   display $DISPLAY"

# CUPS: a private cupsd with a cups-pdf queue for the printing tests
# (app/printer's TestPrintoutsThroughCUPS), stopped at the end.
if command -v cupsd >/dev/null && [ -x /usr/lib/cups/backend/cups-pdf ]; then
  echo "== starting cupsd (cups-pdf queue)"
  cupsdir=$(mktemp -d /tmp/madoguchi-cups.XXXXXX)
  cupsenv=$(scripts/cupsd.sh "$cupsdir" "$((6300 + $$ % 600))") || { echo "cupsd did not start; see $cupsdir/log"; exit 1; }
  while IFS= read -r line; do export "$line"; done <<<"$cupsenv"
  trap 'scripts/cupsd-stop.sh "$cupsdir"; cleanup' EXIT
  echo "   queue $MADOGUCHI_CUPS_PRINTER on $CUPS_SERVER"
fi

# PostgreSQL: a private server (Unix socket in a temporary folder only) for
# the tests that run against both backends, stopped at the end.
if [ -z "${MADOGUCHI_TEST_PG_URL:-}" ]; then
  echo "== starting PostgreSQL"
  pgdir=$(mktemp -d /tmp/madoguchi-pg.XXXXXX)
  pgenv=$(scripts/pgtest.sh "$pgdir") || { echo "PostgreSQL did not start; see $pgdir"; exit 1; }
  export "$pgenv"
  pgstop() { scripts/pgtest.sh -stop "$pgdir"; rm -rf "$pgdir/data"; }
  trap 'pgstop; if [ -n "${cupsdir:-}" ]; then scripts/cupsd-stop.sh "$cupsdir"; fi; cleanup' EXIT
  echo "   $MADOGUCHI_TEST_PG_URL"
fi
# The store packages' whole suites once more on PostgreSQL.
store_pkgs=(./app/store/... ./app/audit ./app/staff ./app/records ./app/registry ./app/session ./app/notice)
store_pkgs+=(./app/prefecture/refca) # the reference CA's store on PostgreSQL (issue 17 point 4)

if [ "$mode" = bench ]; then
  echo "== go test -bench"
  # One package at a time: benchmarks running side by side would measure
  # each other.
  go test -p 1 -run '^$' -bench . -benchmem -timeout 60m ./...
  exit 0
fi

race=()
if [ "$(go env CGO_ENABLED)" = 1 ]; then race=(-race); fi
# -count=1: the card, display and TLS tests talk to services started above;
# a result cached from another run would not have exercised them.
# GOTESTFLAGS adds flags (e.g. -v).
echo "== go test ${race[*]} -count=1 ./..."
go test "${race[@]}" -count=1 ${GOTESTFLAGS:-} -timeout 30m ./...

echo "== go test -count=1 (store packages on PostgreSQL)"
MADOGUCHI_TEST_BACKEND=postgres go test -count=1 ${GOTESTFLAGS:-} -timeout 30m "${store_pkgs[@]}"
