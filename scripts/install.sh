#!/usr/bin/env bash
# Installs madoguchi under $DESTDIR$PREFIX (PREFIX defaults to /usr/local):
# the program, its desktop entry and icon, the README, and the example
# systemd unit for the reference CA (in the doc folder: an example to copy,
# not an enabled service). BIN names the built program (default ./madoguchi).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BIN=${BIN:-./madoguchi}
root="$DESTDIR$PREFIX"
id=jp.madoguchi.counter

[ -x "$BIN" ] || { echo "install: $BIN is not built (make build)" >&2; exit 1; }
install -d "$root/bin" "$root/share/applications" "$root/share/icons/hicolor/256x256/apps" \
  "$root/share/doc/madoguchi/examples"
install -m 0755 "$BIN" "$root/bin/madoguchi"
# Exec names the installed program by its full path, so that the entry
# starts it whether or not $PREFIX/bin is on the desktop session's PATH.
sed "s#^Exec=madoguchi\$#Exec=$PREFIX/bin/madoguchi#" "packaging/linux/$id.desktop" \
  >"$root/share/applications/$id.desktop"
chmod 0644 "$root/share/applications/$id.desktop"
install -m 0644 assets/icon.png "$root/share/icons/hicolor/256x256/apps/$id.png"
install -m 0644 README.md "$root/share/doc/madoguchi/README.md"
sed "s#/usr/local/#$PREFIX/#g" packaging/linux/madoguchi-refca.service \
  >"$root/share/doc/madoguchi/examples/madoguchi-refca.service"
chmod 0644 "$root/share/doc/madoguchi/examples/madoguchi-refca.service"
if [ -z "$DESTDIR" ] && command -v update-desktop-database >/dev/null; then
  update-desktop-database -q "$PREFIX/share/applications" || true
fi
if [ -z "$DESTDIR" ] && command -v gtk-update-icon-cache >/dev/null; then
  gtk-update-icon-cache -q "$PREFIX/share/icons/hicolor" || true
fi
echo "install: madoguchi installed under $root"
