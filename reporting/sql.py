"""Small SQL expressions the reports need on both databases, so that 50,000 referrals come back
as a few hundred grouped rows or as plain numbers, never as 50,000 datetimes or strings
turned into Python objects one by one."""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import date, datetime
from functools import lru_cache

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Func,
    IntegerField,
    Value,
    When,
)

from referrals.working_days import LONDON


class EpochMillis(Func):
    """A moment as whole milliseconds since 1970 (UTC), computed by the database.

    Milliseconds because that is what SQLite's date functions keep (rounding the microseconds
    Django stores); PostgreSQL rounds the same way, so both databases give the same figures.
    """

    output_field = BigIntegerField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        # EXTRACT returns numeric, slow over 100,000 rows. date_part's double is within a quarter
        # of a microsecond of the exact value (a timestamp is whole microseconds, well under 2**53),
        # so rounding it to whole microseconds is exact; then half a millisecond rounds up, as
        # ROUND(EXTRACT(...) * 1000) does (checked over every .5 ms of a million moments).
        return self.as_sql(compiler, connection,
                           template="((date_part('epoch', %(expressions)s) * 1000000)::bigint + 500) / 1000", **extra)

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


def select_over(queryset, template: str) -> list[tuple]:
    """``template`` (with ``{inner}`` for the queryset's SQL) run with the queryset's parameters."""
    # No ordering inside (a model's default ordering would sort rows only to be added up).
    inner, params = queryset.order_by().query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(template.format(inner=inner), params)
        return cursor.fetchall()


def middle_values(values, column: str = "v") -> tuple[int, list]:
    """How many non-null values ``values`` (a one-column ``values_list`` of ``column``) has, and its middle one
    (odd count) or two (even count), in order: a median without sending every value to Python.

    Exact on both databases (row numbers over the sorted values, no interpolation in SQL), so the
    median is computed from the same numbers as before."""
    v = connections[values.db].ops.quote_name(column)
    if connections[values.db].vendor == "postgresql":
        # One sorted array instead of two window passes (and their sort of every row).
        row = select_over(values, f"SELECT COUNT(s.{v}), {_middle_of_array(f's.{v}')} FROM ({{inner}}) s")[0]
        return row[0], _middle(row)
    rows = select_over(values, f"SELECT v, n FROM (SELECT s.{v} AS v, ROW_NUMBER() OVER (ORDER BY s.{v}) AS r, "
                         f"COUNT(*) OVER () AS n FROM ({{inner}}) s WHERE s.{v} IS NOT NULL) t "
                         "WHERE r = (n + 1) / 2 OR r = (n + 2) / 2 ORDER BY r")
    return (rows[0][1] if rows else 0), [row[0] for row in rows]


def counts_of(values, column: str = "v") -> dict:
    """How many rows of ``values`` (a one-column ``values_list`` of ``column``, e.g. a count per
    person) have each value."""
    v = connections[values.db].ops.quote_name(column)
    return dict(select_over(values, f"SELECT s.{v}, COUNT(*) FROM ({{inner}}) s GROUP BY s.{v}"))


def every_value(values, column: str = "v") -> list:
    """Every non-null value of ``values`` (a one-column ``values_list`` of ``column``), in order: what
    ``middle_values`` gives the middle of, kept whole so that months' values can be put together."""
    v = connections[values.db].ops.quote_name(column)
    return sorted(value for (value,) in select_over(values, f"SELECT s.{v} FROM ({{inner}}) s WHERE s.{v} IS NOT NULL"))


def middle_of_sorted(runs: list) -> list:
    """The middle one (odd count) or two (even count) of the values of several sorted runs taken
    together, without merging them: each is found by bisecting the values' range."""
    total = sum(len(run) for run in runs)
    if not total:
        return []
    low_value = min(run[0] for run in runs if len(run))
    high_value = max(run[-1] for run in runs if len(run))

    def nth(index: int):
        # The smallest value with more than ``index`` values at or below it.
        low, high = low_value, high_value
        while low < high:
            mid = (low + high) // 2
            if sum(bisect_right(run, mid) for run in runs) > index:
                high = mid
            else:
                low = mid + 1
        return low

    middle = total // 2
    return [nth(middle)] if total % 2 else [nth(middle - 1), nth(middle)]


def one_pass(rows, sums: dict[str, str], middle_of: str | None = None,
             every: bool = False) -> tuple[dict[str, int], int, list]:
    """One pass over ``rows`` (a ``values`` queryset, e.g. a row per person): each of ``sums`` (a
    name and SQL over the rows' lower-case column names: a number, or a condition's CASE) added up,
    and (with ``middle_of``, a column) how many rows have a value there and the middle one or two
    of those values, in order, as ``middle_values`` gives them (with ``every``, all of them, in
    order, as ``every_value`` does). Several figures from one scan instead of one query each."""
    middle = middle_of or "NULL"
    totals = ", ".join(f"SUM({sql}) AS {name}" for name, sql in sums.items())
    if middle_of and every:
        whole = "ARRAY_AGG" if connections[rows.db].vendor == "postgresql" else "json_group_array"
        row = select_over(rows, f"SELECT {totals}, COUNT(t.{middle}), {whole}(t.{middle}) FROM ({{inner}}) t")[0]
        values = json.loads(row[-1]) if isinstance(row[-1], str) else row[-1] or []  # SQLite gives JSON text
        figures = {name: int(value or 0) for name, value in zip(sums, row)}
        return figures, int(row[len(sums)] or 0), sorted(value for value in values if value is not None)
    if middle_of and connections[rows.db].vendor == "postgresql":
        # The middle values from one sorted array of that column alone: window functions would
        # sort every (wide) row, spilling to disk at 50,000 people.
        row = select_over(rows, f"SELECT {totals}, COUNT(t.{middle}), {_middle_of_array(f't.{middle}')} "
                                "FROM ({inner}) t")[0]
    else:
        row = select_over(rows, f"SELECT {totals}, MAX(t.m_), MIN(CASE WHEN t.r_ = (t.m_ + 1) / 2 THEN t.{middle} END), "
                                f"MAX(CASE WHEN t.r_ = (t.m_ + 2) / 2 THEN t.{middle} END) FROM ("
                                f"SELECT s.*, ROW_NUMBER() OVER (ORDER BY s.{middle} IS NULL, s.{middle}) AS r_, "
                                f"COUNT(s.{middle}) OVER () AS m_ FROM ({{inner}}) s) t" if middle_of else
                                f"SELECT {totals}, 0, NULL, NULL FROM ({{inner}}) t")[0]
    figures = {name: int(value or 0) for name, value in zip(sums, row)}
    return figures, int(row[len(sums)] or 0), _middle(row[len(sums):])


def _middle_of_array(column: str) -> str:
    """PostgreSQL: the middle one (odd count) or two (even count) non-null values of ``column``,
    as two columns (the same value twice for an odd count), from one sorted array."""
    ordered = f"(ARRAY_AGG({column} ORDER BY {column}) FILTER (WHERE {column} IS NOT NULL))"
    return f"{ordered}[(COUNT({column}) + 1) / 2], {ordered}[(COUNT({column}) + 2) / 2]"


def _middle(row) -> list:
    """``(count, lower middle, upper middle)`` as the middle one or two values."""
    count, low, high = row
    return [] if not count else [low] if count % 2 else [low, high]
