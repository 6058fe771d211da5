#!/usr/bin/env bash
# Starts a private PostgreSQL 15 for the tests that run against both
# backends: initdb into DIR, listening only on a Unix socket in DIR (no TCP),
# one database "madoguchi" with the C collation.
#
#   scripts/pgtest.sh DIR        start; prints MADOGUCHI_TEST_PG_URL=... to export
#   scripts/pgtest.sh -stop DIR  stop it (the folder is left for the logs)
#
# The server refuses to run as root: when run as root, DIR is handed to the
# unprivileged user "nobody" and the server runs as that user.
set -euo pipefail

stop=0
if [ "${1:-}" = -stop ]; then stop=1; shift; fi
dir=$1
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pgtest: PostgreSQL is not installed (make deps)" >&2; exit 1; }

as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u nobody --); fi

if [ "$stop" = 1 ]; then
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  exit 0
fi

mkdir -p "$dir"
chmod 0755 "$dir"
if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$dir"; fi
"${as[@]}" "$bin/initdb" -D "$dir/data" -U madoguchi -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c max_connections=200" start >/dev/null ||
  { cat "$dir/postgres.log" >&2; exit 1; }
"${as[@]}" "$bin/createdb" -h "$dir" -U madoguchi madoguchi
echo "MADOGUCHI_TEST_PG_URL=postgres://madoguchi@/madoguchi?host=$dir"
