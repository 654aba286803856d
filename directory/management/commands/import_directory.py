"""Import organisations, activities, venues, sessions and needs from Open Referral UK 3.0 JSON.

    python manage.py import_directory services.json
    python manage.py import_directory https://directory.example.gov.uk/api/v3 --modified-after 2025-01-31

The source is a JSON file holding a list of ORUK services (as ``/services/{id}`` returns
them), a page of ``/services`` (an object with ``contents``) or a single service; or the
base URL of an ORUK 3.0 API, whose pages are followed and each service fetched in full,
at most ``--rate`` requests a second, with retries after server errors and timeouts.
Every record is checked first; if any is invalid the command lists every problem, changes
nothing and exits with an error, unless ``--skip-invalid`` is given, which imports the
others and names each one left out with the reason. Importing the same feed again updates
what it created. Organisations are created under the directory's index page, which
``manage.py setup_site`` makes. The work is ``directory.oruk.importer.import_feed``.
"""

import sys
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from directory.oruk.deviations import uk_datetime
from directory.oruk.fetching import DEFAULT_RATE, DEFAULT_RETRIES, DEFAULT_TIMEOUT, FeedClient, FeedError
from directory.oruk.importer import ImportFileError, import_feed, summary_lines

# Below this many records the command finishes before a progress bar would help.
_PROGRESS_FROM = 50
# Warnings do not stop an import; past this many, one line says how many more there are.
_WARNINGS_SHOWN = 20


def _moment(value: str) -> datetime:
    moment = uk_datetime(value)
    if moment is None:
        raise ValueError(value)
    return moment


class Command(BaseCommand):
    help = "Import the directory from an Open Referral UK 3.0 JSON file or API (its base URL)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="The JSON file to import, or an ORUK 3.0 API's base URL (http or https).")
        parser.add_argument(
            "--modified-after",
            type=_moment,
            metavar="WHEN",
            help="Only services modified after this date or time (ISO 8601; without an offset, UK time).",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid services and list each invalid one with why, instead of importing nothing.",
        )
        parser.add_argument(
            "--rate", type=float, default=DEFAULT_RATE, help=f"At most this many requests a second (default {DEFAULT_RATE:g})."
        )
        parser.add_argument(
            "--timeout", type=float, default=DEFAULT_TIMEOUT, help=f"Seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})."
        )
        parser.add_argument(
            "--retries", type=int, default=DEFAULT_RETRIES, help=f"Tries after a failed request (default {DEFAULT_RETRIES})."
        )

    def handle(self, *args, source, modified_after, skip_invalid, rate, timeout, retries, verbosity=1, **options):
        if rate <= 0:
            raise CommandError("--rate must be more than 0.")
        client = FeedClient(rate=rate, timeout=timeout, retries=max(retries, 0))
        try:
            result = import_feed(
                source,
                modified_after=modified_after,
                skip_invalid=skip_invalid,
                progress=self._progress(verbosity),
                client=client,
            )
        except (ImportFileError, FeedError) as error:
            if "setup_site" in str(error):
                raise CommandError(str(error)) from error
            raise CommandError(f"{source}: {error}") from error
        except (DatabaseError, ValidationError) as error:
            # Everything was checked first, so this is a clash with a change made meanwhile
            # (or a bug); the import ran in one transaction, which has been rolled back.
            raise CommandError(f"{source}: the import failed and was undone, so nothing changed: {error}") from error

        if verbosity >= 1:
            shown = result.warnings if verbosity >= 2 else result.warnings[:_WARNINGS_SHOWN]
            for line in shown:
                self.stderr.write(f"Warning: {line}")
            if len(shown) < len(result.warnings):
                self.stderr.write(f"… and {len(result.warnings) - len(shown)} more warnings (use -v 2 to see them all).")
            self.stdout.write(self.style.SUCCESS("\n".join(summary_lines(result))))

    def _progress(self, verbosity):
        def progress(iterable, *, total=None, desc=None):
            if verbosity < 1 or (total is not None and total < _PROGRESS_FROM):
                return iterable
            # disable=None: tqdm draws only on a terminal, so logs and pipes stay clean.
            return tqdm(iterable, total=total, desc=desc, unit="service", file=sys.stderr, disable=None)

        return progress
