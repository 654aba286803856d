"""What real feeds do differently from the ORUK 3.0 schema, read with a warning, not refused.

Three habits belong to a whole feed rather than to one record, so each is said once per
import with how many services show it (``Deviations.warnings``):

* timestamps without a UTC offset (``2024-03-01T09:15:00``): read as UK local time
  (Europe/London, so GMT or BST as the date falls), the way a UK publisher's clock wrote them;
* ages of ``-1``: no limit, as if the age were not given;
* fields the schema does not define (a council's ``x_ward``, say): ignored, listed by path.

``tolerate`` mends a copy of each record before the schema check. Deviations that belong to
one record (words in a phone number, a blank city, a location with coordinates and no
address) are warned about by ``directory.oruk.reading`` with the record's id and field path.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from directory.oruk.schemas import load_schema

UK_TIME = ZoneInfo("Europe/London")

# HSDS 3.0 fields outside the ORUK 3.0 profile that we read (``directory.oruk.records``).
READ_BEYOND_THE_SCHEMA = {
    "phones",
    "eligibility_description",
    "taxonomy_terms",
    "languages[].name",
    "languages[].code",
    "contacts[].email",
    "contacts[].phones",
    "service_at_locations[].location.addresses[].address_2",
}
_AGES = ("minimum_age", "maximum_age")


def uk_datetime(value: str) -> datetime | None:
    """An ISO 8601 timestamp; one without an offset is UK local time. None if it is not one."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UK_TIME)


@dataclass
class Deviations:
    """The feed-wide deviations seen in one import: field path -> services that show it."""

    naive_timestamps: Counter = field(default_factory=Counter)
    no_limit_ages: Counter = field(default_factory=Counter)
    unknown_fields: Counter = field(default_factory=Counter)

    def warnings(self) -> list[str]:
        lines = []
        if self.naive_timestamps:
            lines.append(
                f"Timestamps without a UTC offset were read as UK local time (Europe/London): {_listed(self.naive_timestamps)}."
            )
        if self.no_limit_ages:
            lines.append(f"Ages of -1 were read as no limit: {_listed(self.no_limit_ages)}.")
        if self.unknown_fields:
            lines.append(
                f"Fields the ORUK 3.0 schema does not define were ignored: {_listed(self.unknown_fields)}."
            )
        return lines


def _listed(counts: Counter) -> str:
    return ", ".join(
        f"{path} (in {number} service{'s' if number != 1 else ''})" for path, number in sorted(counts.items())
    )


def tolerate(record, deviations: Deviations):
    """``record`` with its feed-wide deviations mended (a copy if any are), noted in ``deviations``."""
    if not isinstance(record, dict):
        return record
    seen: dict[str, set[str]] = {"naive": set(), "unknown": set()}
    mended = copy.deepcopy(record)
    _walk(load_schema("service.json"), mended, "", seen)
    for key in _AGES:
        age = mended.get(key)
        if age == -1 and not isinstance(age, bool):
            del mended[key]
            deviations.no_limit_ages[key] += 1
    for path in seen["naive"]:
        deviations.naive_timestamps[path] += 1
    for path in seen["unknown"]:
        deviations.unknown_fields[path] += 1
    return mended


def _walk(schema: dict, value, path: str, seen: dict[str, set[str]]) -> None:
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        for key in list(value):
            key_path = f"{path}.{key}" if path else key
            if key in properties:
                item = properties[key]
                if item.get("format") == "date-time" and isinstance(value[key], str):
                    parsed = uk_datetime(value[key])
                    if parsed is not None and datetime.fromisoformat(value[key].strip()).tzinfo is None:
                        value[key] = parsed.isoformat()
                        seen["naive"].add(key_path)
                else:
                    _walk(item, value[key], key_path, seen)
            elif key_path not in READ_BEYOND_THE_SCHEMA:
                seen["unknown"].add(key_path)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _walk(schema["items"], item, f"{path}[]", seen)
