#!/usr/bin/env bash
# Cross-builds madoguchi.exe for 64-bit Windows: a GUI-subsystem program
# (no console window) carrying the icon, a manifest and version metadata
# from FyneApp.toml. Needs the mingw-w64 cross compiler for Fyne's cgo
# (scripts/deps.sh --windows installs it). Checks the PE subsystem at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
# go-winres turns the icon and metadata into a .syso that go build links in.
WINRES=github.com/tc-hib/go-winres@v0.3.3
OUT=${OUT:-madoguchi.exe}

version=$(sed -n 's/^Version *= *"\([0-9.]*\)".*/\1/p' FyneApp.toml)
build=$(sed -n 's/^Build *= *\([0-9]*\).*/\1/p' FyneApp.toml)
full="$version.${build:-0}"

"$GO" run "$WINRES" simply --arch amd64 --out rsrc \
  --icon assets/icon.png --manifest gui \
  --product-name "madoguchi 公的個人認証 窓口" \
  --file-description "公的個人認証 窓口端末" \
  --original-filename madoguchi.exe \
  --product-version "$full" --file-version "$full"

GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=${CC_WINDOWS:-x86_64-w64-mingw32-gcc} \
  "$GO" build -trimpath -ldflags "-H=windowsgui -s -w" -o "$OUT" .

"$GO" run ./scripts/pecheck -subsystem gui -version "$full" "$OUT"
