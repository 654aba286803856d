"""Drive the search API under gunicorn as `bench_search` does, against an index already built
(no generation, no rebuild, no Wagtail baseline): for measuring a change to the request path.

    DATABASE_URL=postgres://... BENCH_INDEX=<index> .venv/bin/python scripts/drive_search.py [requests] [out.json]
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from benchmarks.management.commands.bench_search import Command
from benchmarks.search import query_mix
from directory.models import ActivityPage, NeedTerm

requests = int(sys.argv[1]) if len(sys.argv) > 1 else 200
postcodes = list(
    ActivityPage.objects.values_list("sessions__venue__postcode", flat=True).exclude(sessions__venue__isnull=True).distinct()[:2000]
)
mix = query_mix(requests, seed=20261123, postcodes=postcodes, need_slugs=list(NeedTerm.objects.values_list("slug", flat=True)))
options = {"concurrency": "1", "elasticsearch_url": os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")}
load_before = os.getloadavg()
result = Command()._drive("elasticsearch", mix, options, os.environ["BENCH_INDEX"])
result["load_average"] = [load_before, os.getloadavg()]
print(json.dumps(result, indent=1))
if len(sys.argv) > 2:
    Path(sys.argv[2]).write_text(json.dumps(result, indent=2) + "\n")
