#!/usr/bin/env bash
# Stops the private cupsd that scripts/cupsd.sh started in DIR and removes
# its cups-pdf settings file.
#
#   scripts/cupsd-stop.sh DIR
dir=$1
if [ -s "$dir/cupsd.pid" ]; then kill "$(cat "$dir/cupsd.pid")" 2>/dev/null || true; fi
if [ -s "$dir/cups-pdf.path" ]; then rm -f "$(cat "$dir/cups-pdf.path")"; fi
