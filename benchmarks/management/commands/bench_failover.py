"""`make bench-failover`: stop one Elasticsearch node in the middle of a run; no search may be lost.

Starts two Elasticsearch nodes forming one cluster on this machine (scripts/elasticsearch-cluster.sh:
two JVMs, HTTP 9201/9202), generates a small directory (once; later runs reuse it), builds the
index with one replica per shard, then runs the app under gunicorn with ELASTICSEARCH_URL
listing both nodes and drives searches through the HTTP API continuously. Part-way through,
one node is stopped. Every answer must be a 200 from Elasticsearch: the API's ``X-Search-Backend``
header and its ``degraded`` field say when the database answered instead (the fallback), which
counts as a lost search here. Prints the figures and writes JSON to BENCH_OUT.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from pages.setup import ensure_site

from benchmarks import es_cluster
from benchmarks.management.commands.bench_search import Command as SearchBenchmark
from benchmarks.measuring import free_port, percentile
from benchmarks.search import generate_directory, query_mix
from directory.models import ActivityPage, NeedTerm
from search.backends.elasticsearch import ElasticsearchSearchBackend

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Stop one of two Elasticsearch nodes during a run of searches; assert none was lost (see `make bench-failover`)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_FAILOVER_N", "500")), help="Activities in the directory.")
        parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_FAILOVER_SECONDS", "30")), help="Seconds of searching.")
        parser.add_argument("--stop-after", type=float, default=None, help="Seconds into the run to stop a node (default: a third of it).")
        parser.add_argument("--ports", default=os.environ.get("ES_CLUSTER_PORTS", "9201,9202"), help="The cluster's HTTP ports.")
        parser.add_argument("--stop", default="master", choices=["master", "other"],
                            help="Which node to stop: the elected master (the harder case) or the other one.")
        parser.add_argument("--clients", type=int, default=2, help="Searches in flight at once.")
        parser.add_argument("--keep-cluster", action="store_true", help="Leave the surviving node running afterwards.")
        parser.add_argument("--out", default=os.environ.get("BENCH_OUT", "benchmarks/results/failover.json"))
        parser.add_argument("--seed", type=int, default=20261206)

    def handle(self, *args, **options):
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
        ports = [int(p) for p in options["ports"].split(",")]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        env = {**os.environ, "ES_CLUSTER_PORTS": options["ports"]}
        report = {
            "machine": {"cpus": os.cpu_count(), "database": connection.vendor, "load_average_at_start": os.getloadavg()},
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "elasticsearch_nodes": urls,
        }
        self.stdout.write("Starting the two-node Elasticsearch cluster…")
        es_cluster.start(options["ports"])
        try:
            report.update(self._run(urls, options, env))
        finally:
            if not options["keep_cluster"]:
                es_cluster.stop(options["ports"])
        report["machine"]["load_average_at_end"] = os.getloadavg()
        out = ROOT / options["out"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        self._print(report)
        self.stdout.write(f"Written to {options['out']}")
        if not report["goal_met"]:
            raise CommandError("Searches were lost when a node stopped (see above).")

    def _run(self, urls: list[str], options: dict, env: dict) -> dict:
        ensure_site()
        existing = ActivityPage.objects.count()
        if existing < options["n"]:
            self.stdout.write(f"Generating {options['n'] - existing} activities…")
            generate_directory(options["n"] - existing, seed=options["seed"] + existing)
        postcodes = list(
            ActivityPage.objects.values_list("sessions__venue__postcode", flat=True).exclude(sessions__venue__isnull=True).distinct()[:500]
        )
        SearchBenchmark()._ensure_postcodes(postcodes)
        mix = query_mix(200, seed=options["seed"], postcodes=postcodes, need_slugs=list(NeedTerm.objects.values_list("slug", flat=True)))

        index = os.environ.get("BENCH_FAILOVER_INDEX", "failover-signpost")
        backend = ElasticsearchSearchBackend("failover", {"URLS": urls, "INDEX": index, "TIMEOUT": 30, "REPLICAS": 1})
        self.stdout.write("Building the index (1 replica)…")
        documents = backend.rebuild()
        health = backend.client.cluster.health(index=index, wait_for_status="green", timeout="60s")
        shards = backend.client.cat.shards(index=index, format="json")
        master = es_cluster.master(urls[0])
        stop_name, stop_port = es_cluster.node_to_stop(urls[0], options["stop"])

        port = free_port()
        server_env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "false",
            "SEARCH_BACKEND": "search.backends.elasticsearch",
            "SEARCH_INDEX": index,
            # The node to be stopped is listed first: the client must move on to the other.
            "ELASTICSEARCH_URL": ",".join(sorted(urls, key=lambda url: not url.endswith(f":{stop_port}"))),
            "LOG_LEVEL": "WARNING",
        }
        app_log = ROOT / "var/bench-failover-app.log"
        app_log.parent.mkdir(parents=True, exist_ok=True)
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "--pythonpath", f"{ROOT},{ROOT / 'site'}",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2", "--log-level", "warning"],
            cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=app_log.open("w"),
        )
        base = f"http://127.0.0.1:{port}"
        samples: list[dict] = []
        events: dict[str, float] = {}
        try:
            SearchBenchmark()._wait(base)
            for params in mix[:20]:
                self._get(base, params)  # warm up
            stop_after = options["stop_after"] if options["stop_after"] is not None else options["duration"] / 3
            started = time.perf_counter()
            deadline = started + options["duration"]

            def client(offset: int):
                i = offset
                while time.perf_counter() < deadline:
                    sample = self._get(base, mix[i % len(mix)])
                    sample["at"] = sample["started"] - started
                    samples.append(sample)
                    i += options["clients"]

            def stopper():
                time.sleep(stop_after)
                events["stop_requested_s"] = time.perf_counter() - started
                es_cluster.stop(options["ports"], stop_port)
                events["stopped_s"] = time.perf_counter() - started

            threads = [threading.Thread(target=client, args=(n,)) for n in range(options["clients"])]
            threads.append(threading.Thread(target=stopper))
            self.stdout.write(f"Searching for {options['duration']:.0f} s; stopping {stop_name} (port {stop_port}) after {stop_after:.0f} s…")
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)

        survivor = next(url for url in urls if not url.endswith(f":{stop_port}"))
        # Local: with the master gone, the survivor alone cannot elect one (two master-eligible nodes
        # keep a voting configuration of one), so it answers from the state it last knew.
        after_health = json.loads(urllib.request.urlopen(f"{survivor}/_cluster/health?local=true", timeout=10).read())
        try:
            urllib.request.urlopen(f"{survivor}/_cat/master", timeout=5).read()
            after_health["has_master"] = True
        except OSError:
            after_health["has_master"] = False
        # The app's log: each time its client retried a search on the other node.
        retries = app_log.read_text(errors="replace").count("Retrying request after failure")
        stopped_at = events.get("stop_requested_s", float("inf"))
        before = [s for s in samples if s["at"] < stopped_at]
        after = [s for s in samples if s["at"] >= stopped_at]

        def summary(rows):
            latencies = [r["ms"] for r in rows]
            return {
                "searches": len(rows),
                "errors": sum(1 for r in rows if r["status"] != 200),
                "from_fallback": sum(1 for r in rows if r["status"] == 200 and (r["backend"] != "elasticsearch" or r["degraded"])),
                "p50_ms": percentile(latencies, 0.5),
                "p95_ms": percentile(latencies, 0.95),
                "max_ms": round(max(latencies), 1) if latencies else None,
            }

        whole = summary(samples)
        return {
            "activities": ActivityPage.objects.count(),
            "index": {"documents": documents, "status_before": health["status"],
                      "shards": [{"shard": s["shard"], "role": s["prirep"], "node": s["node"]} for s in shards]},
            "stopped_node": {"name": stop_name, "port": stop_port, "was_master": stop_name == master, **{k: round(v, 2) for k, v in events.items()}},
            "cluster_after": {"status": after_health["status"], "nodes": after_health["number_of_nodes"], "has_master": after_health["has_master"]},
            "client_retries_on_other_node": retries,
            "duration_s": options["duration"],
            "clients": options["clients"],
            "all": whole,
            "before_stop": summary(before),
            "after_stop": summary(after),
            "goal": "every search answered (200) by Elasticsearch, none by the database fallback, with one node stopped mid-run",
            "goal_met": bool(samples) and bool(after) and whole["errors"] == 0 and whole["from_fallback"] == 0,
        }

    def _get(self, base: str, params: dict) -> dict:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{base}/api/v1/activities/?{urllib.parse.urlencode(params)}", timeout=30) as response:
                body = json.loads(response.read())
                return {"started": started, "ms": (time.perf_counter() - started) * 1000, "status": response.status,
                        "backend": response.headers.get("X-Search-Backend"), "degraded": bool(body.get("degraded"))}
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        return {"started": started, "ms": (time.perf_counter() - started) * 1000, "status": status, "backend": None, "degraded": None}

    def _print(self, report: dict):
        stopped = report["stopped_node"]
        self.stdout.write(f"\nFailover: {report['activities']} activities, nodes {', '.join(report['elasticsearch_nodes'])}; "
                          f"stopped {stopped['name']} ({'the master' if stopped['was_master'] else 'not the master'}) "
                          f"at {stopped.get('stop_requested_s', '?')} s; cluster afterwards {report['cluster_after']['status']} "
                          f"with {report['cluster_after']['nodes']} node(s), {'a' if report['cluster_after']['has_master'] else 'no'} master; "
                          f"the app's client retried {report['client_retries_on_other_node']} request(s) on the other node")
        self.stdout.write(f"{'':<12}{'searches':>9}{'errors':>8}{'fallback':>9}{'p50':>8}{'p95':>8}{'max':>9}")
        for key in ("before_stop", "after_stop", "all"):
            row = report[key]
            self.stdout.write(f"{key:<12}{row['searches']:>9}{row['errors']:>8}{row['from_fallback']:>9}{row['p50_ms']:>8}{row['p95_ms']:>8}{row['max_ms'] or 0:>9}")
        verdict = "met" if report["goal_met"] else "NOT MET"
        self.stdout.write(f"Goal: {report['goal']}: {verdict}")
        self.stdout.write(f"(load average {report['machine']['load_average_at_start']} at start, {report['machine']['load_average_at_end']} at end, "
                          f"{report['machine']['cpus']} cores)")
