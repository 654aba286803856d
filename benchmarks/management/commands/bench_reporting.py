"""`python manage.py bench_reporting [--referrals 100000]`: the dashboard's and the exports' times.

Runs against the configured database inside a transaction that is rolled back at the end
(see ``benchmarks.reporting``); the database must be migrated. Prints the figures; it
asserts no timings; it says whether the dashboard met issue 17's goal (1 s at 100,000
referrals, 3 s at 1,000,000).
"""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand

from benchmarks.reporting import run


class Command(BaseCommand):
    help = "Generate referrals over two years (rolled back afterwards) and time the reports and exports."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=3, help="Runs of each measure; the median is reported.")
        parser.add_argument("--activities", type=int, default=200,
                            help="Activities to refer to: the directory's, topped up with generated ones.")

        parser.add_argument("--keep", action="store_true",
                            help="Commit the generated data instead of rolling it back: only for a throwaway database.")
        parser.add_argument("--out", default="benchmarks/results/reporting.json", help="Where the figures are written (JSON).")
        parser.add_argument("--only", default="", help="Only the measures whose name contains this (e.g. dashboard).")
        parser.add_argument("--existing", action="store_true",
                            help="Measure the data an earlier --keep run left (no generating; --referrals only picks the goal).")

    def handle(self, *args, referrals, runs, activities, keep, existing, only, out, **options):
        result = run(referrals=referrals, runs=runs, activities=activities, keep=keep, existing=existing, only=only,
                     log=lambda line: self.stderr.write(line))
        for line in result.lines():
            self.stdout.write(line)
        # Issue 17: a year's dashboard within 1 s at 100,000 referrals on PostgreSQL, 3 s at 1,000,000.
        goal = 1.0 if referrals <= 100_000 else 3.0
        verdicts = {}
        for timing in result.timings:
            if timing.name.startswith("dashboard page"):
                verdict = "met" if timing.p50 <= goal else "not met"
                verdicts[timing.name] = verdict
                self.stdout.write(f"Goal {goal:.0f} s, {timing.name}: {timing.p50:.3f} s, {verdict}")
        # The machine's load while measuring: figures on a shared, busy machine are pessimistic.
        load = os.getloadavg()
        self.stdout.write(f"Load average while measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps({
            "referrals": referrals, "database": result.database, "generated_in_s": round(result.generated_in, 1),
            "period_referrals": result.period_referrals, "goal_s": goal, "load_average": [round(x, 2) for x in load],
            "measures": [{"name": t.name, "p50_s": round(t.p50, 4), "runs": [round(x, 4) for x in t.seconds],
                          "goal": verdicts.get(t.name)} for t in result.timings],
            "peak_memory_mb": {name: round(mb, 1) for name, mb in result.peak_memory_mb.items()},
        }, indent=2) + "\n")
        self.stdout.write(f"Wrote {out}")
