#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the tests and prints the line that exports
# its URL:  eval "$(bash scripts/postgres.sh [DIR] [PORT])"  → AIGC_TEST_POSTGRES_URL
# Needs the Debian `postgresql` package; as root, the cluster runs as the `postgres` user.
set -euo pipefail
dir="${1:-${TMPDIR:-/tmp}/aigc-postgres}"
port="${2:-55432}"
bin="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)"
as=()
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
  chown postgres "$dir"
fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U aigc --auth=trust >"$dir/initdb.log"
fi
if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null
fi
"$bin/psql" -h 127.0.0.1 -p "$port" -U aigc -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'aigc'" \
  | grep -q 1 || "$bin/createdb" -h 127.0.0.1 -p "$port" -U aigc aigc
echo "export AIGC_TEST_POSTGRES_URL=postgresql+psycopg://aigc@127.0.0.1:$port/aigc"
