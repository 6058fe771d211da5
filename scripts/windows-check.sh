#!/usr/bin/env bash
# Runs the tests of the packages that need no display as 64-bit Windows
# programs under Wine (Debian 12: Wine 8.0), in a private Wine prefix.
#
#   scripts/windows-check.sh                  # the default package list
#   scripts/windows-check.sh -count=1         # flags only: the default list
#   scripts/windows-check.sh -run TestX ./app/privfile
#
# Two shims make Go 1.26 test binaries work under Wine 8; neither is needed
# on real Windows or Wine 10, and neither is shipped:
#  - bcryptprimitives.dll exporting ProcessPrng (scripts/wine/), which the Go
#    runtime calls at start-up and Wine 8 lacks;
#  - a go build -overlay copy of the standard library's
#    internal/syscall/windows/at_windows.go that falls back to the older
#    delete call on STATUS_NOT_IMPLEMENTED (Wine 8 lacks the
#    FileDispositionInformationEx class), so os.RemoveAll and t.TempDir
#    clean-up work.
# Each step is timed; the summary lists every package's result.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
CC_WINDOWS=${CC_WINDOWS:-x86_64-w64-mingw32-gcc}
work=${WINDOWS_CHECK_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/madoguchi-windows-check}
mkdir -p "$work"
export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY # no display: these tests draw nothing

default_pkgs=(
  ./forms ./forms/jpfont ./forms/jpkicert ./forms/printing
  ./app ./app/privfile ./app/config ./app/registry ./app/store ./app/audit
  ./app/session ./app/prefecture ./app/prefecture/refca
  ./app/identity ./app/records ./app/staff ./keygen ./cardio
)

step() { # step NAME COMMAND...: runs and times one step
  local name=$1 t0 t1 rc=0
  shift
  t0=$(date +%s.%N)
  "$@" || rc=$?
  t1=$(date +%s.%N)
  printf 'windows-check: %-28s %6.1f s\n' "$name" "$(awk "BEGIN{print $t1 - $t0}")" >&2
  return "$rc"
}

prefix() {
  # A persistent server (stopped at exit) saves Wine's start-up per test
  # binary. It creates the files; umask 077 makes them owner-only on the
  # Unix side. Wine 8 keeps no file ACLs and reports a DACL made from the
  # Unix mode ("Everyone may read" for 0644), so under the usual umask every
  # secret would fail privfile.CheckSecret; 077 stands in for the owner-only
  # DACL that Windows keeps. Started before wineboot, which would otherwise
  # start a server of its own under the usual umask.
  mkdir -p "$WINEPREFIX"
  (umask 077 && "$WINESERVER" -p 2>/dev/null) || true # status 2: one already runs
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    "$WINE64" wineboot --init >/dev/null 2>&1
  fi
  # wineboot before the tests, or its background processes hold the first
  # test's output open and go test fails with "Test I/O incomplete".
  "$WINE64" wineboot >/dev/null 2>&1
}

shims() {
  local dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  if [ ! -f "$dll" ] || [ scripts/wine/bcryptprimitives.c -nt "$dll" ]; then
    "$CC_WINDOWS" -shared -O2 -o "$dll" scripts/wine/bcryptprimitives.c -lbcrypt
  fi
  # The fonts a Windows counter installs (or finds next to the exe): Wine
  # has no Japanese font of its own.
  local f fonts="$WINEPREFIX/drive_c/windows/Fonts"
  for f in /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf /usr/share/fonts/truetype/ipamj/ipamjm.ttf; do
    [ -f "$fonts/${f##*/}" ] || cp "$f" "$fonts/"
  done
  local src
  src="$("$GO" env GOROOT)/src/internal/syscall/windows/at_windows.go"
  sed 's/STATUS_NOT_SUPPORTED: *\/\/ the file system/STATUS_NOT_SUPPORTED, NTStatus(0xC0000002): \/\/ (Wine 8: not implemented) the file system/' \
    "$src" >"$work/at_windows.go"
  grep -q 0xC0000002 "$work/at_windows.go" || {
    echo "windows-check: could not patch $src (Go version changed?)" >&2
    exit 1
  }
  printf '{"Replace":{"%s":"%s"}}\n' "$src" "$work/at_windows.go" >"$work/overlay.json"
}

args=("$@")
have_pkgs=0
for a in "$@"; do
  case "$a" in ./* | madoguchi*) have_pkgs=1 ;; esac
done
if ((!have_pkgs)); then args+=("${default_pkgs[@]}"); fi

trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
step "wine prefix" prefix
step "shims" shims
log="$work/test.log"
status=0
run_tests() {
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 \
    "$GO" test -overlay "$work/overlay.json" -exec "$WINE64" "${args[@]}" >"$log" 2>&1
}
step "go test under wine" run_tests || status=$?
grep -E '^(ok|FAIL|---|\?|panic)' "$log" || true
if ((status != 0)); then
  echo "windows-check: failures; full output in $log" >&2
fi
exit "$status"
