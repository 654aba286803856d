"""Harvest the Open Referral UK feeds set up in the admin (Feeds), now.

    python manage.py harvest_feeds                      # every active feed that is due
    python manage.py harvest_feeds --feed "Poole Council"
    python manage.py harvest_feeds --feed "Poole Council" --full

The worker does the same every 15 minutes (``directory.tasks.harvest_due_feeds_task``).
Each run is reported here and kept for moderators (Feeds › Harvest runs); a feed that fails
changes nothing and makes the command exit with an error after the others have run. The
rules (what a feed may change, claiming, leaving a feed) are in ``directory.harvesting``.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from directory.harvesting import due_feeds, feed_harvest
from directory.models import Feed
from directory.oruk.fetching import DEFAULT_RATE, DEFAULT_RETRIES, FeedClient


class Command(BaseCommand):
    help = "Harvest the ORUK feeds set up in the admin: every one that is due, or one by name."

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed", action="append", metavar="NAME", help="Harvest this feed now, whatever its schedule (repeatable)."
        )
        parser.add_argument(
            "--full", action="store_true", help="Make a full pass: also unpublish listings that left the feed."
        )
        parser.add_argument(
            "--rate", type=float, default=DEFAULT_RATE, help=f"At most this many requests a second (default {DEFAULT_RATE:g})."
        )
        parser.add_argument(
            "--retries", type=int, default=DEFAULT_RETRIES, help=f"Tries after a failed request (default {DEFAULT_RETRIES})."
        )

    def handle(self, *args, feed, full, rate, retries, verbosity=1, **options):
        if rate <= 0:
            raise CommandError("--rate must be more than 0.")
        if feed:
            feeds = list(Feed.objects.filter(name__in=feed))
            unknown = sorted(set(feed) - {f.name for f in feeds})
            if unknown:
                known = ", ".join(Feed.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"No feed called {', '.join(map(repr, unknown))} (feeds: {known}).")
        else:
            feeds = due_feeds()
            if not feeds and verbosity >= 1:
                self.stdout.write("No feed is due.")
        failed = []
        for each in feeds:
            if verbosity >= 1:
                self.stdout.write(f"Harvesting {each.name} ({each.base_url})…")
            run = feed_harvest(
                feed=each,
                full=True if full else None,
                client=FeedClient(rate=rate, retries=max(retries, 0)),
                progress=self._progress(verbosity),
            )
            if run is None:
                self.stderr.write(f"{each.name}: another run is harvesting it now; left to that run.")
                continue
            lines = run.report_lines()
            if run.error:
                failed.append(each.name)
                self.stderr.write(self.style.ERROR(f"{each.name}: {lines[0]}"))
            elif verbosity >= 1:
                self.stdout.write(self.style.SUCCESS(f"{each.name} ({run.get_kind_display()}): {lines[0]}"))
                for line in lines[1:]:
                    self.stdout.write(f"  {line}")
        if failed:
            raise CommandError(f"Harvesting failed for {', '.join(failed)}; nothing changed from {'it' if len(failed) == 1 else 'them'}.")

    def _progress(self, verbosity):
        def progress(iterable, *, total=None, desc=None):
            if verbosity < 1:
                return iterable
            # disable=None: tqdm draws only on a terminal, so logs and pipes stay clean.
            return tqdm(iterable, total=total, desc=desc, unit="service", file=sys.stderr, disable=None)

        return progress
