"""Small SQL expressions the reports need on both databases, so that 50,000 referrals come back
as a few hundred grouped rows or as plain numbers, never as 50,000 datetimes or strings
turned into Python objects one by one."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.db.models import BigIntegerField, Case, CharField, Func, IntegerField, Value, When

from referrals.working_days import LONDON


class EpochMillis(Func):
    """A moment as whole milliseconds since 1970 (UTC), computed by the database.

    Milliseconds because that is what SQLite's date functions keep (rounding the microseconds
    Django stores); PostgreSQL rounds the same way, so both databases give the same figures.
    """

    output_field = BigIntegerField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="ROUND(EXTRACT(EPOCH FROM %(expressions)s) * 1000)::bigint",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() is day 2440587.5 at the Unix epoch; SQLite keeps it as integer milliseconds inside.
        return self.as_sql(
            compiler, connection,
            template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000.0) AS INTEGER)", **extra
        )


class PostcodeDistrict(Func):
    """The outward code of a postcode ("BH15" of "BH15 1AB"), upper-cased; the whole value when it has no space."""

    output_field = CharField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="UPPER(SPLIT_PART(%(expressions)s, ' ', 1))", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection,
            template="UPPER(CASE WHEN INSTR(%(expressions)s, ' ') > 0 "
                     "THEN SUBSTR(%(expressions)s, 1, INSTR(%(expressions)s, ' ') - 1) ELSE %(expressions)s END)",
            **extra,
        )


def bucket(field: str, boundaries: list[datetime]) -> Case:
    """The index of the interval ``field`` falls in: 0 before ``boundaries[0]``, 1 before ``boundaries[1]``, …

    Months are buckets rather than a truncation: truncating to a local month is a Python function
    per row on SQLite, while a CASE runs inside the database on both."""
    return Case(
        *[When(**{f"{field}__lt": boundary}, then=Value(index)) for index, boundary in enumerate(boundaries)],
        default=Value(len(boundaries)),
        output_field=IntegerField(),
    )


def top_level_need(field: str, tops: dict[int, tuple[int, str]]) -> Case:
    """Each need term in ``field`` as its top-level need's id (``tops`` from ``figures.top_level_needs``)."""
    members: dict[int, list[int]] = {}
    for term_id, (top_id, _name) in tops.items():
        members.setdefault(top_id, []).append(term_id)
    return Case(
        *[When(**{f"{field}__in": sorted(ids)}, then=Value(top_id)) for top_id, ids in sorted(members.items())],
        default=Value(None),
        output_field=IntegerField(),
    )



def local_day(millis: int) -> date:
    """The local (Europe/London) date of a moment in milliseconds since 1970. UK clocks change on
    the hour, so every moment in one UTC hour falls on the same local date: one look-up per hour."""
    return _local_day_of_hour(millis // 3_600_000)


@lru_cache(maxsize=32_768)
def _local_day_of_hour(hour: int) -> date:
    return datetime.fromtimestamp(hour * 3600, tz=LONDON).date()
