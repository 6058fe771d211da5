#!/usr/bin/env bash
# Packs the installed tree (scripts/install.sh, PREFIX=/usr/local) into
# dist/madoguchi-VERSION-linux-amd64.tar.gz; unpack it with
# `tar -C / -xzf ...`, or unpack anywhere and copy usr/local/.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^Version *= *"\([0-9.]*\)".*/\1/p' FyneApp.toml)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" PREFIX=/usr/local scripts/install.sh >/dev/null
mkdir -p dist
out="dist/madoguchi-$version-linux-amd64.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out" usr
echo "dist: $out"
