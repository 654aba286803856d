"""Import organisations, activities, venues, sessions and needs from Open Referral UK 3.0 JSON.

    python manage.py import_directory services.json

The file is a JSON list of ORUK service objects (as ``/services/{id}`` returns them), a
page of ``/services`` (an object with ``contents``), or a single service. Every record is
checked first; if any is invalid the command lists every problem, changes nothing and
exits with an error. Importing the same file again updates what it created. Organisations
are created under the directory's index page, which ``manage.py setup_site`` makes.
"""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from directory.oruk.importer import ImportFileError, directory_import, records_from_json, summary_lines
from directory.selectors import directory_index

# Below this many records the command finishes before a progress bar would help.
_PROGRESS_FROM = 50
# Warnings do not stop an import; past this many, one line says how many more there are.
_WARNINGS_SHOWN = 20


class Command(BaseCommand):
    help = "Import the directory from an Open Referral UK 3.0 JSON file (a list of services or a /services page)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file to import.")

    def handle(self, *args, file, verbosity=1, **options):
        index = directory_index()
        if index is None:
            raise CommandError("The site has no directory to import into yet: run manage.py setup_site first.")
        path = Path(file)
        try:
            text = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error

        try:
            records = records_from_json(text)
            result = directory_import(records=records, index=index, progress=self._progress(records, verbosity))
        except ImportFileError as error:
            raise CommandError(f"{file}: {error}") from error
        except (DatabaseError, ValidationError) as error:
            # Everything was checked first, so this is a clash with a change made meanwhile
            # (or a bug); the import ran in one transaction, which has been rolled back.
            raise CommandError(f"{file}: the import failed and was undone, so nothing changed: {error}") from error

        if verbosity >= 1:
            shown = result.warnings if verbosity >= 2 else result.warnings[:_WARNINGS_SHOWN]
            for line in shown:
                self.stderr.write(f"Warning: {line}")
            if len(shown) < len(result.warnings):
                self.stderr.write(f"… and {len(result.warnings) - len(shown)} more warnings (use -v 2 to see them all).")
            self.stdout.write(self.style.SUCCESS("\n".join(summary_lines(result))))

    def _progress(self, records, verbosity):
        if verbosity < 1 or len(records) < _PROGRESS_FROM:
            return lambda iterable, **kwargs: iterable

        def progress(iterable, *, total=None, desc=None):
            # disable=None: tqdm draws only on a terminal, so logs and pipes stay clean.
            return tqdm(iterable, total=total, desc=desc, unit="service", file=sys.stderr, disable=None)

        return progress
