import time

from django.core.management.base import BaseCommand

from pages.scheduler import SCHEDULE, enqueue_due


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (pages.scheduler.SCHEDULE) for the worker, for ever or --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue every job once and stop.")
        parser.add_argument("--tick", type=float, default=30.0, help="Seconds between checks (default 30).")

    def handle(self, *args, once=False, tick=30.0, **options):
        last_run = {}
        for job in SCHEDULE:
            self.stdout.write(f"{job.task}: every {job.every}")
        while True:
            for name in enqueue_due(last_run):
                self.stdout.write(f"Enqueued {name}")
            if once:
                return
            time.sleep(tick)
