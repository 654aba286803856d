#!/usr/bin/env bash
# The whole test suite: once on SQLite, once on PostgreSQL (started here when needed).
# With CI=true nothing may skip for want of a service: a missing PostgreSQL fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
which=${1:-all}

if [ "$which" = all ] || [ "$which" = sqlite ]; then
  echo "== Tests on SQLite"
  env -u DATABASE_URL "$BIN/pytest" -p no:cacheprovider
fi

if [ "$which" = all ] || [ "$which" = postgres ]; then
  echo "== Tests on PostgreSQL"
  if [ -z "${TEST_DATABASE_URL:-}" ]; then
    scripts/postgres.sh
    TEST_DATABASE_URL="postgres://postgres@127.0.0.1:${PGPORT:-54329}/signpost"
  fi
  DATABASE_URL="$TEST_DATABASE_URL" REQUIRE_POSTGRES=true "$BIN/pytest" -p no:cacheprovider
fi
