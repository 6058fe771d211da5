#!/usr/bin/env bash
# Packs madoguchi.exe (scripts/windows-build.sh) with the IPA fonts, their
# licence, the font notice and a sample configuration into
# dist/madoguchi-VERSION-windows-amd64.zip.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^Version *= *"\([0-9.]*\)".*/\1/p' FyneApp.toml)
[ -f madoguchi.exe ] || { echo "windows-zip: madoguchi.exe is not built (make windows)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
top="$stage/madoguchi-$version"
mkdir -p "$top/fonts"
cp madoguchi.exe "$top/"
cp packaging/windows/FONTS.txt packaging/windows/config.sample.toml "$top/"
cp /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf /usr/share/fonts/truetype/ipamj/ipamjm.ttf "$top/fonts/"
zcat /usr/share/doc/fonts-ipamj-mincho/IPA_Font_License_Agreement_v1.0.txt.gz >"$top/fonts/IPA_Font_License_Agreement_v1.0.txt"
# Windows Notepad reads CRLF text best.
for f in "$top/FONTS.txt" "$top/config.sample.toml"; do sed -i 's/$/\r/' "$f"; done
mkdir -p dist
out="$PWD/dist/madoguchi-$version-windows-amd64.zip"
rm -f "$out"
(cd "$stage" && zip -qr -9 "$out" "madoguchi-$version")
echo "windows-zip: ${out#"$PWD"/}"
