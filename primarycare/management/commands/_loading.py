"""What the two loading commands share: the progress bar, the summary, and a whole-file error as a CommandError."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from primarycare.loading import LoadFileError

# Below this many rows the load finishes before a progress bar would help.
_PROGRESS_FROM = 200


class LoadingCommand(BaseCommand):
    unit = "row"

    def add_arguments(self, parser):
        parser.add_argument("csv", help="The CSV file to load.")

    def load(self, source, **kwargs):
        raise NotImplementedError

    def handle(self, *args, csv, verbosity=1, **options):
        try:
            result = self.load(csv, progress=self._progress(verbosity))
        except LoadFileError as error:
            raise CommandError(f"{csv}: {error} Nothing was saved.") from error
        except DatabaseError as error:
            # The load ran in one transaction, which has been rolled back.
            raise CommandError(f"{csv}: the load failed and was undone, so nothing changed: {error}") from error
        if verbosity >= 1:
            lines = result.summary_lines()
            style = self.style.WARNING if result.refused else self.style.SUCCESS
            self.stdout.write(style("\n".join(lines)))

    def _progress(self, verbosity):
        def progress(iterable, *, total=None, desc=None):
            if verbosity < 1 or (total is not None and total < _PROGRESS_FROM):
                return iterable
            # disable=None: tqdm draws only on a terminal, so logs and pipes stay clean.
            return tqdm(iterable, total=total, desc=desc, unit=self.unit, file=sys.stderr, disable=None)

        return progress
