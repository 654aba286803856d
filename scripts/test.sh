#!/usr/bin/env bash
# The whole test suite: once on SQLite, once on PostgreSQL (started here when needed), the two
# passes side by side, with a local Elasticsearch node (scripts/elasticsearch.sh) for the search
# backend's tests. `scripts/test.sh sqlite|postgres|elasticsearch|browser` runs one part alone.
# With CI=true nothing may skip for want of a service: a missing PostgreSQL fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
which=${1:-all}

# Elasticsearch for the search contract's Elasticsearch half (tests marked `elasticsearch`),
# run once, in the SQLite pass. Without CI a node that cannot start only skips those tests.
if [ "$which" = all ] || [ "$which" = sqlite ] || [ "$which" = elasticsearch ]; then
  if ! scripts/elasticsearch.sh; then
    [ "${CI:-}" = true ] && { echo "CI=true: Elasticsearch must run" >&2; exit 1; }
    echo "Elasticsearch did not start: its tests will be skipped" >&2
  fi
fi

# --- Browser tests (tests/browser/, marked `browser`): Playwright driving Debian's Chromium,
# installed by scripts/browser.sh when missing. They run in the SQLite pass (and are deselected
# on PostgreSQL). Without CI a missing Chromium only skips them; with CI=true it fails the run.
if [ "$which" = all ] || [ "$which" = sqlite ] || [ "$which" = browser ]; then
  if ! scripts/browser.sh; then
    [ "${CI:-}" = true ] && { echo "CI=true: Chromium must be installed for the browser tests" >&2; exit 1; }
    echo "Chromium is not installed: the browser tests will be skipped" >&2
  fi
fi
# --- end of browser tests setup

sqlite_pass() {
  env -u DATABASE_URL "$BIN/pytest" -p no:cacheprovider --durations=10 "$@"
}

postgres_pass() {
  DATABASE_URL="$TEST_DATABASE_URL" REQUIRE_POSTGRES=true "$BIN/pytest" -p no:cacheprovider --durations=10 \
    -m "not elasticsearch" "$@"
}

start_postgres() {
  if [ -z "${TEST_DATABASE_URL:-}" ]; then
    scripts/postgres.sh
    TEST_DATABASE_URL="postgres://postgres@127.0.0.1:${PGPORT:-54329}/signpost"
  fi
}

# A background job of a script ignores Ctrl-C: stop both passes (and their pytest) ourselves.
stop_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do stop_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}

# --- The whole suite: both passes at once, side by side. Each is one Python process most of the
# time (the browser, the search engine and the database servers wait on it), so on two cores the
# two take a little longer together than the longer one alone (34 min against 31, 59 one after
# the other). Every line says which pass it is from.
if [ "$which" = all ]; then
  start_postgres
  echo "== Tests on SQLite (with Elasticsearch and the browser) and on PostgreSQL, side by side"
  started=$SECONDS
  sqlite_pid="" postgres_pid=""
  trap 'echo "== Stopped"; for pid in $sqlite_pid $postgres_pid; do stop_tree "$pid"; done; exit 130' INT TERM
  ( sqlite_pass 2>&1 | sed -u 's/^/[sqlite] /' ) &  # pipefail (above): the pass's status, not sed's
  sqlite_pid=$!
  ( postgres_pass 2>&1 | sed -u 's/^/[postgres] /' ) &
  postgres_pid=$!
  sqlite_status=0; wait "$sqlite_pid" || sqlite_status=$?
  echo "== SQLite pass: $([ "$sqlite_status" = 0 ] && echo passed || echo "FAILED ($sqlite_status)") after $(( (SECONDS - started) / 60 )) min"
  postgres_status=0; wait "$postgres_pid" || postgres_status=$?
  echo "== PostgreSQL pass: $([ "$postgres_status" = 0 ] && echo passed || echo "FAILED ($postgres_status)") after $(( (SECONDS - started) / 60 )) min"
  [ "$sqlite_status" = 0 ] && [ "$postgres_status" = 0 ]
  exit
fi

if [ "$which" = sqlite ]; then
  echo "== Tests on SQLite (with Elasticsearch)"
  sqlite_pass
fi

if [ "$which" = elasticsearch ]; then
  echo "== Elasticsearch tests"
  sqlite_pass -m elasticsearch
fi

if [ "$which" = postgres ]; then
  echo "== Tests on PostgreSQL"
  start_postgres
  postgres_pass
fi

# --- Browser tests alone (`scripts/test.sh browser`): screenshots in $SCREENSHOT_DIR or var/screenshots/.
if [ "$which" = browser ]; then
  echo "== Browser tests"
  sqlite_pass -m browser
fi
