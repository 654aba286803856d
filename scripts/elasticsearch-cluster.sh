#!/usr/bin/env bash
# Two (or more) Elasticsearch nodes forming one cluster on this machine, for the failover
# benchmark (`make bench-failover`) and the load test: one JVM per node, started by
# scripts/elasticsearch.sh (the same genuine Elasticsearch 8 jars and launcher).
#   scripts/elasticsearch-cluster.sh             start (or find) the nodes, wait until they form one cluster
#   scripts/elasticsearch-cluster.sh stop        stop every node of the cluster
#   scripts/elasticsearch-cluster.sh stop PORT   stop one node (its HTTP port), leaving the others
#   scripts/elasticsearch-cluster.sh urls        print ELASTICSEARCH_URL for the app (comma-separated)
# ES_CLUSTER_PORTS (HTTP ports, default 9201,9202; each node's transport port is its HTTP port
# + 100), ES_CLUSTER_NAME (default signpost-bench) and ES_HEAP (default 512m per node).
# The single node on 9200 (scripts/elasticsearch.sh) is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

PORTS="${ES_CLUSTER_PORTS:-9201,9202}"
IFS=, read -r -a PORT_LIST <<<"$PORTS"
export ES_CLUSTER_NAME="${ES_CLUSTER_NAME:-signpost-bench}"
export ES_HEAP="${ES_HEAP:-512m}"
TIMEOUT="${ES_START_TIMEOUT:-180}"
unset ELASTICSEARCH_URL  # each node is addressed by its port below

name_of() { echo "$ES_CLUSTER_NAME-$1"; }
SEEDS=""; MASTERS=""; URLS=""
for port in "${PORT_LIST[@]}"; do
  SEEDS="${SEEDS:+$SEEDS,}127.0.0.1:$((port + 100))"
  MASTERS="${MASTERS:+$MASTERS,}$(name_of "$port")"
  URLS="${URLS:+$URLS,}http://127.0.0.1:$port"
done

case "${1:-start}" in
  urls)
    echo "$URLS"; exit 0 ;;
  stop)
    if [ -n "${2:-}" ]; then
      ES_PORT="$2" scripts/elasticsearch.sh stop
    else
      for port in "${PORT_LIST[@]}"; do ES_PORT="$port" scripts/elasticsearch.sh stop; done
    fi
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop [PORT]|urls]" >&2; exit 2 ;;
esac

for port in "${PORT_LIST[@]}"; do
  [ "$port" = 9200 ] && { echo "Port 9200 is the single development node's; choose other ES_CLUSTER_PORTS." >&2; exit 1; }
  ES_PORT="$port" ES_NODE_NAME="$(name_of "$port")" ES_SEED_HOSTS="$SEEDS" ES_INITIAL_MASTERS="$MASTERS" ES_WAIT=false \
    scripts/elasticsearch.sh
done

want="${#PORT_LIST[@]}"
for _ in $(seq 1 "$TIMEOUT"); do
  formed=true
  for port in "${PORT_LIST[@]}"; do
    health="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/_cluster/health" 2>/dev/null || true)"
    echo "$health" | grep -q "\"cluster_name\":\"$ES_CLUSTER_NAME\"" || formed=false
    echo "$health" | grep -q "\"number_of_nodes\":$want," || formed=false
  done
  if $formed; then
    echo "Elasticsearch cluster $ES_CLUSTER_NAME: $want nodes at $URLS (logs: var/elasticsearch/node-<port>.log)"
    exit 0
  fi
  for port in "${PORT_LIST[@]}"; do
    pid="$(cat "var/elasticsearch/node-$port.pid" 2>/dev/null || true)"
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "The Elasticsearch node on port $port did not start; the end of its log:" >&2
      tail -n 40 "var/elasticsearch/node-$port.log" >&2
      exit 1
    fi
  done
  sleep 1
done
echo "The cluster did not form within ${TIMEOUT}s; see var/elasticsearch/node-<port>.log" >&2
exit 1
