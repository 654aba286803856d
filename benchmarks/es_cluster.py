"""The two-node Elasticsearch cluster the failover benchmark and the load test run against.

scripts/elasticsearch-cluster.sh starts and stops the nodes (two JVMs on this machine); these
functions wrap it and ask the cluster which node is the elected master, the one whose loss is the
harder case (the survivor still answers searches, but cannot elect a master of its own).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "elasticsearch-cluster.sh"


def _env(ports: str) -> dict:
    return {**os.environ, "ES_CLUSTER_PORTS": ports}


def urls(ports: str) -> list[str]:
    return [f"http://127.0.0.1:{int(port)}" for port in ports.split(",")]


def start(ports: str) -> None:
    subprocess.run([str(SCRIPT)], env=_env(ports), check=True, timeout=300)


def stop(ports: str, port: int | None = None) -> None:
    """Stop one node (by its HTTP port), or every node of the cluster."""
    command = [str(SCRIPT), "stop"] + ([str(port)] if port else [])
    subprocess.run(command, env=_env(ports), check=False, timeout=120, capture_output=True)


def nodes(url: str) -> dict[str, int]:
    """Each node's name and HTTP port, as the cluster knows them."""
    rows = json.loads(urllib.request.urlopen(f"{url}/_cat/nodes?format=json&h=name,http_address", timeout=10).read())
    return {row["name"]: int(row["http_address"].rsplit(":", 1)[1]) for row in rows}


def master(url: str) -> str:
    return json.loads(urllib.request.urlopen(f"{url}/_cat/master?format=json", timeout=10).read())[0]["node"]


def node_to_stop(url: str, which: str = "master") -> tuple[str, int]:
    """The elected master (``which="master"``) or another node: its name and HTTP port."""
    known, elected = nodes(url), master(url)
    name = elected if which == "master" else next(name for name in known if name != elected)
    return name, known[name]
