#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:$PGPORT for the test suite.
# Installs Debian's postgresql package when no server binaries are present, and runs a
# throwaway cluster in var/postgres (as the postgres user when we are root).
set -euo pipefail
cd "$(dirname "$0")/.."

PGPORT="${PGPORT:-54329}"
DATA="$PWD/var/postgres"

if pg_isready_bin=$(ls /usr/lib/postgresql/*/bin/pg_isready 2>/dev/null | sort -V | tail -n1) && [ -n "$pg_isready_bin" ] \
    && "$pg_isready_bin" -h 127.0.0.1 -p "$PGPORT" -q; then
  exit 0
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "Installing PostgreSQL from Debian's packages…"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$DATA"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA"
if [ ! -f "$DATA/PG_VERSION" ]; then
  as_owner "$bindir/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
as_owner "$bindir/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PGPORT -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$bindir/pg_isready" -h 127.0.0.1 -p "$PGPORT" -q
echo "PostgreSQL is running on 127.0.0.1:$PGPORT"
