#!/usr/bin/env bash
# Make sure an Elasticsearch 8 node answers at $ELASTICSEARCH_URL (default
# http://127.0.0.1:${ES_PORT:-9200}) for the test suite and the demo.
#
# When nothing answers, fetches the genuine Elasticsearch server jars from Maven Central
# (scripts/elasticsearch/pom.xml) into var/elasticsearch/lib, compiles the small launcher
# in scripts/elasticsearch/src, and starts one node on 127.0.0.1 in the background with
# its logs in var/elasticsearch/. Idempotent: a second run finds the node and returns.
#   scripts/elasticsearch.sh          start (or find) the node and wait until it is ready
#   scripts/elasticsearch.sh stop     stop the node this script started
# scripts/elasticsearch-cluster.sh starts several nodes forming one cluster through this script:
# ES_CLUSTER_NAME, ES_NODE_NAME, ES_SEED_HOSTS and ES_INITIAL_MASTERS name the cluster and its
# discovery, and ES_WAIT=false returns once the node is launched (a cluster's first node cannot
# be ready before the others have started).
set -euo pipefail
cd "$(dirname "$0")/.."

ES_PORT="${ES_PORT:-9200}"
URL="${ELASTICSEARCH_URL:-http://127.0.0.1:$ES_PORT}"
VAR="$PWD/var/elasticsearch"
LIB="$VAR/lib"
CLASSES="$VAR/classes"
HOME_DIR="$VAR/node-$ES_PORT"
PIDFILE="$VAR/node-$ES_PORT.pid"
LOG="$VAR/node-$ES_PORT.log"
HEAP="${ES_HEAP:-768m}"
TIMEOUT="${ES_START_TIMEOUT:-120}"

healthy() {
  curl -fsS --max-time 2 "$URL/_cluster/health" 2>/dev/null | grep -qE '"status":"(green|yellow)"'
}

if [ "${1:-start}" = stop ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 30); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 1; done
    echo "Elasticsearch on port $ES_PORT stopped"
  fi
  rm -f "$PIDFILE"
  exit 0
fi

if healthy; then
  exit 0
fi

if [ -n "${ELASTICSEARCH_URL:-}" ] && [[ "$ELASTICSEARCH_URL" != http://127.0.0.1:* && "$ELASTICSEARCH_URL" != http://localhost:* ]]; then
  echo "ELASTICSEARCH_URL=$ELASTICSEARCH_URL does not answer, and it is not a local node this script can start." >&2
  exit 1
fi
if [ -n "${ELASTICSEARCH_URL:-}" ]; then
  ES_PORT="${ELASTICSEARCH_URL##*:}"; ES_PORT="${ES_PORT%%/*}"
  HOME_DIR="$VAR/node-$ES_PORT"; PIDFILE="$VAR/node-$ES_PORT.pid"; LOG="$VAR/node-$ES_PORT.log"
fi

for tool in java javac mvn curl; do
  command -v "$tool" >/dev/null || { echo "scripts/elasticsearch.sh needs $tool (Java 17+ and Maven)" >&2; exit 1; }
done

mkdir -p "$VAR"
if [ ! -f "$LIB/.complete" ] || [ scripts/elasticsearch/pom.xml -nt "$LIB/.complete" ]; then
  echo "Fetching Elasticsearch from Maven Central…"
  rm -rf "$LIB"
  mvn -q -B -f scripts/elasticsearch/pom.xml dependency:copy-dependencies -DoutputDirectory="$LIB" >"$VAR/maven.log" 2>&1 \
    || { cat "$VAR/maven.log" >&2; exit 1; }
  touch "$LIB/.complete"
fi

# The test framework's randomised-testing jars would make the server think it runs inside
# a JUnit test, so the node's class path leaves them out.
CP="$CLASSES:$(ls "$LIB"/*.jar | grep -vE '/(randomizedtesting|junit|mockito|lucene-test-framework|hamcrest|objenesis|byte-buddy|mocksocket)-' | tr '\n' ':')"
SOURCES=$(find scripts/elasticsearch/src -name '*.java')
if [ ! -f "$CLASSES/.complete" ] || [ -n "$(find scripts/elasticsearch/src -newer "$CLASSES/.complete" -name '*.java')" ]; then
  rm -rf "$CLASSES"; mkdir -p "$CLASSES"
  # shellcheck disable=SC2086
  javac -nowarn -d "$CLASSES" -cp "$CP" $SOURCES
  touch "$CLASSES/.complete"
fi

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "Elasticsearch (pid $(cat "$PIDFILE")) is starting; waiting for it…"
else
  mkdir -p "$HOME_DIR"
  CLUSTER_ARGS=()
  if [ -n "${ES_CLUSTER_NAME:-}" ]; then
    CLUSTER_ARGS=("$ES_CLUSTER_NAME" "$ES_NODE_NAME" "$ES_SEED_HOSTS" "$ES_INITIAL_MASTERS")
  fi
  nohup java -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseSerialGC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -cp "$CP" org.elasticsearch.node.SignpostNode "$HOME_DIR" "$ES_PORT" ${CLUSTER_ARGS[@]+"${CLUSTER_ARGS[@]}"} >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
fi
if [ "${ES_WAIT:-true}" = false ]; then
  exit 0
fi

for _ in $(seq 1 "$TIMEOUT"); do
  if healthy; then
    echo "Elasticsearch is running at $URL (log: ${LOG#$PWD/})"
    exit 0
  fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "Elasticsearch did not start; the end of its log:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  sleep 1
done
echo "Elasticsearch did not become ready within ${TIMEOUT}s; see $LOG" >&2
exit 1
