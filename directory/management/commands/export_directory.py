"""Export every publicly listed activity as Open Referral UK 3.0 JSON.

    python manage.py export_directory services.json
    python manage.py export_directory -        # to standard output

Writes a JSON list of ORUK service objects that validates against the ORUK 3.0
``service`` schema and that ``import_directory`` reads back.
"""

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.oruk.exporter import directory_export


class Command(BaseCommand):
    help = "Export publicly listed activities as Open Referral UK 3.0 JSON (a list of services)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the JSON, or - for standard output.")

    def handle(self, *args, file, verbosity=1, **options):
        services = directory_export()
        text = json.dumps(services, indent=2, ensure_ascii=False) + "\n"
        if file == "-":
            self.stdout.write(text, ending="")
            return
        path = Path(file)
        handle = None
        try:
            # Write beside the target then rename, so a reader never sees half a file.
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
            ) as handle:
                handle.write(text)
            os.replace(handle.name, path)
        except OSError as error:
            if handle is not None and os.path.exists(handle.name):
                os.unlink(handle.name)
            raise CommandError(f"Cannot write {file}: {error.strerror or error}") from error
        if verbosity >= 1:
            self.stderr.write(f"Exported {len(services)} service{'s' if len(services) != 1 else ''} to {file}.")
