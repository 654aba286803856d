"""Reading: one Open Referral UK 3.0 service dict -> the plain records in ``records``.

``service_from_oruk`` checks what the JSON Schema cannot (our own rules and each model
field's validation) and reports every problem with its field path; it touches no database.
The importer (``directory.oruk.importer``) does the database work. What maps to what, and
why, is in ``directory.oruk.records``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from directory.choices import Frequency, HowToJoin, WeekOfMonth
from directory.models import ActivityPage, NeedTerm, OrganisationPage, Venue
from directory.oruk.cleaning import (
    clean_html,
    looks_like_html,
    paragraphs_html,
    phone_number,
    plain_text,
    without_first_paragraph,
)
from directory.oruk.deviations import uk_datetime
from directory.oruk.records import (
    ACCESSIBILITY_FEATURES,
    ACCESSIBILITY_NOTES_LABEL,
    LANGUAGE_CODES,
    STATUS_FROM_ORUK,
    OrganisationData,
    Report,
    ServiceData,
    SessionData,
    TermData,
    VenueData,
    derived_id,
    split_paragraphs,
)
from directory.postcodes import PostcodeError, normalise_postcode

ICAL_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_BYDAY = re.compile(r"^([+-]?\d{1,2})?([A-Z]{2})$")

_CHARITY_SCHEMES = {"GB-CHC", "GB-SC", "GB-NIC"}
_COMPANY_SCHEMES = {"GB-COH"}

_NEGATION = re.compile(r"\b(no|not|without|isn't|isnt)\b", re.IGNORECASE)

_DELIVERY_PHRASES = {
    "in_person": r"in[- ]person|face[- ]to[- ]face",
    "online": r"online|video|remote|virtual|zoom|teams",
    "by_phone": r"phone",
}
_JOIN_PHRASES = [
    (HowToJoin.REFERRAL_ONLY, r"referral only|referral from a professional|professional referral|must be referred"),
    (HowToJoin.DROP_IN, r"drop[- ]in|just turn up|no need to book"),
]

_LANGUAGE_NAMES = {code: name for name, code in LANGUAGE_CODES.items()}

_SUMMARY_LENGTH = 255


# --- Small readers that ignore what the schema check has already reported --------------


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def _id(obj: dict, key: str = "id") -> str | None:
    value = obj.get(key)
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _objects(obj: dict, key: str) -> list[tuple[int, dict]]:
    value = obj.get(key)
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _number(obj: dict, key: str):
    value = obj.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _parse_date(value, path: str, report: Report) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return None  # reported by the schema check
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.strip()).date()
    except ValueError:
        report.error(path, f"{value!r} is not a date (use YYYY-MM-DD)")
        return None


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)


def _parse_time(value, path: str, report: Report, *, on: date | None) -> time | None:
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59 or int(match.group(3) or 0) > 59:
        report.error(path, f"{value!r} is not a time (use HH:MM, for example 10:30)")
        return None
    parsed = time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    offset = match.group(4)
    if offset:
        # A time with an offset names an instant; our sessions keep local wall-clock time.
        offset = "+00:00" if offset.upper() == "Z" else offset
        instant = datetime.fromisoformat(f"{(on or timezone.localdate()).isoformat()}T{parsed.isoformat()}{offset}")
        parsed = timezone.localtime(instant).time()
    return parsed


def _check_fields(model, values: dict, paths: dict, report: Report) -> None:
    """Run each model field's own validation (length, format, choices, blank) on ``values``."""
    for name, value in values.items():
        model_field = model._meta.get_field(name)
        try:
            model_field.clean(value, None)
        except ValidationError as error:
            for message in error.messages:
                report.error(paths.get(name, name), message)


# --- Text ----------------------------------------------------------------------------------


def _shorten(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def summary_and_description(text: str, *, fallback: str) -> tuple[str, str]:
    """Split ORUK's single description into our summary and rich-text description.

    HTML is cleaned (``directory.oruk.cleaning``) and kept as rich text; the summary is
    plain text either way.
    """
    cleaned = clean_html(text) if looks_like_html(text) else None
    paragraphs = split_paragraphs(plain_text(cleaned) if cleaned is not None else text)
    if not paragraphs:
        return _shorten(fallback, _SUMMARY_LENGTH), paragraphs_html([fallback])
    if len(paragraphs) > 1 and len(paragraphs[0]) <= _SUMMARY_LENGTH:
        summary, body = paragraphs[0], paragraphs[1:]
        if cleaned is not None:
            return summary, without_first_paragraph(cleaned, summary)
    else:
        first_sentence = re.split(r"(?<=[.!?])\s+", paragraphs[0], maxsplit=1)[0]
        summary, body = _shorten(first_sentence, _SUMMARY_LENGTH), paragraphs
    return summary, cleaned if cleaned is not None else paragraphs_html(body)


def _found(pattern: str, text: str) -> bool:
    """``pattern`` occurs in ``text`` in a clause that does not deny it ("not online")."""
    for clause in re.split(r"[.,;:!?\n]+", text):
        match = re.search(pattern, clause, re.IGNORECASE)
        # The phrase itself may hold a "no" ("no need to book"); only the rest can deny it.
        if match and not _NEGATION.search(clause[: match.start()] + " " + clause[match.end() :]):
            return True
    return False


# --- Reading a service ---------------------------------------------------------------------


def service_from_oruk(record: dict, report: Report) -> ServiceData | None:
    """Read one ORUK service; problems go into ``report``. Returns ``None`` without an id."""
    oruk_id = _id(record)
    if oruk_id is None:
        return None  # reported by the schema check

    organisation, organisation_id = _organisation(record, report)
    service = ServiceData(
        oruk_id=oruk_id,
        organisation_oruk_id=organisation_id,
        organisation_path="organization" if isinstance(record.get("organization"), dict) else "organization_id",
        organisation=organisation,
        fields={},
    )
    fields, paths = service.fields, {}

    title = _text(record, "name")
    fields["title"] = title
    paths["title"] = "name"
    fields["summary"], fields["description"] = summary_and_description(_text(record, "description"), fallback=title)
    paths["summary"] = paths["description"] = "description"

    status = record.get("status")
    if status in STATUS_FROM_ORUK:
        fields["status"] = STATUS_FROM_ORUK[status]

    for key, name in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
        age = _number(record, key)
        paths[name] = key
        if age is not None and (age != int(age) or not 0 <= age <= 130):
            report.error(key, f"{age!r} is not an age in whole years from 0 to 130")
            age = None
        fields[name] = int(age) if age is not None else None
    if fields["min_age"] is not None and fields["max_age"] is not None and fields["min_age"] > fields["max_age"]:
        report.error("maximum_age", "must be the same as or more than minimum_age")

    if isinstance(record.get("eligibility_description"), str):
        fields["eligibility_notes"] = plain_text(_text(record, "eligibility_description"))
        paths["eligibility_notes"] = "eligibility_description"

    _cost(record, fields, paths, report)
    _languages(record, fields, paths, report)
    _contact(record, fields, paths, report)

    reviewed = _parse_date(record.get("assured_date"), "assured_date", report)
    if reviewed is None and isinstance(record.get("last_modified"), str):
        modified = uk_datetime(record["last_modified"])  # None: reported by the schema check
        if modified is not None:
            reviewed = timezone.localdate(modified)
    if reviewed is not None:
        fields["last_reviewed"] = reviewed

    _service_areas(record, fields, paths, report)
    locations = _locations(record, service, report)
    delivery = _delivery(record, locations)
    fields.update(delivery)
    _sessions(record, service, locations, report)
    _terms(record, service, report)

    checked = {name: value for name, value in fields.items() if name != "title" or isinstance(record.get("name"), str)}
    _check_fields(ActivityPage, checked, paths, report)
    return service


def _organisation(record: dict, report: Report) -> tuple[OrganisationData | None, str | None]:
    given_id = _id(record, "organization_id")
    data = record.get("organization")
    if not isinstance(data, dict):
        if data is None and given_id is None:
            report.error("organization", "is required: every service must say which organisation runs it")
        return None, given_id  # the importer checks that the organisation already exists
    oruk_id = _id(data)
    if oruk_id is None:
        return None, given_id
    if given_id and given_id != oruk_id:
        report.error("organization_id", f"{given_id!r} does not match organization.id {oruk_id!r}")
    name = _text(data, "name")
    fields = {
        "title": name,
        "description": plain_text(_text(data, "description")) or name,
        "email": _text(data, "email"),
        "website": _text(data, "website"),
    }
    paths = {
        "title": "organization.name",
        "description": "organization.description",
        "email": "organization.email",
        "website": "organization.website",
    }
    for index, identifier in _objects(data, "organization_identifiers"):
        scheme = _text(identifier, "identifier_scheme").upper()
        kind = _text(identifier, "identifier_type").lower()
        value = _text(identifier, "identifier")
        path = f"organization.organization_identifiers[{index}].identifier"
        if scheme in _CHARITY_SCHEMES or (not scheme and "charity" in kind):
            fields.setdefault("charity_number", value)
            paths.setdefault("charity_number", path)
        elif scheme in _COMPANY_SCHEMES or (not scheme and "company" in kind):
            fields.setdefault("company_number", value)
            paths.setdefault("company_number", path)
    checked = {name: value for name, value in fields.items() if name != "title" or isinstance(data.get("name"), str)}
    _check_fields(OrganisationPage, checked, paths, report)
    return OrganisationData(oruk_id=oruk_id, path="organization", fields=fields), oruk_id


def _cost(record: dict, fields: dict, paths: dict, report: Report) -> None:
    options = []
    for index, option in _objects(record, "cost_options"):
        amount = _number(option, "amount")
        path = f"cost_options[{index}].amount"
        if amount is not None:
            try:
                amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            except InvalidOperation:
                amount = None
            if amount is None or amount < 0 or amount >= 100000:
                report.error(path, f"{option.get('amount')!r} is not a price from 0 to 99999.99")
                continue
        options.append((amount, _text(option, "option"), _text(option, "amount_description")))
    fees = _text(record, "fees")
    if not options:
        if fees:
            # Free text only: we cannot tell whether it is free, so that stays as it was.
            fields["cost_description"] = _shorten(fees, 255)
            paths["cost_description"] = "fees"
        return
    priced = [option for option in options if option[0] is not None]
    main = next((option for option in priced if not option[1]), priced[0] if priced else None)
    is_free = main is None or all(option[0] == 0 for option in priced)
    description = ""
    if main is not None:
        description = f"{main[2]} ({main[1]})" if main[1] and main[2] else main[2] or main[1]
    elif options:
        description = options[0][2]
    others = []
    for option in options:
        if option is main or (main is None and option is options[0]):
            continue
        amount, condition, text = option
        if condition.lower() == "concessions" and amount is None:
            others.append(text)
        else:
            price = f"£{amount:.2f}" if amount is not None else ""
            others.append(": ".join(part for part in (condition, " ".join(p for p in (price, text) if p)) if part))
    fields.update(
        is_free=is_free,
        cost_amount=None if is_free else main[0],
        cost_description=_shorten(description, 255),
        concessions=_shorten("; ".join(part for part in others if part), 255),
    )
    paths.update(cost_amount="cost_options", cost_description="cost_options", concessions="cost_options")


def _languages(record: dict, fields: dict, paths: dict, report: Report) -> None:
    names = []
    for index, language in _objects(record, "languages"):
        name = _text(language, "name")
        code = _text(language, "code").lower()
        if not name and code:
            name = _LANGUAGE_NAMES.get(code, "")
        if not name:
            if "name" in language or "code" in language:
                report.warn(f"languages[{index}]", "ignored: we do not recognise its name or code")
            continue
        if name.lower() not in (n.lower() for n in names):
            names.append(name)
    if names:
        fields["languages"] = ", ".join(names)
        paths["languages"] = "languages"


def _contact(record: dict, fields: dict, paths: dict, report: Report) -> None:
    contacts = [(index, contact) for index, contact in _objects(record, "contacts")]
    emails = [_text(record, "email")] + [_text(contact, "email") for _, contact in contacts]
    phones = [(f"phones[{i}].number", _text(phone, "number")) for i, phone in _objects(record, "phones")]
    for index, contact in contacts:
        phones += [
            (f"contacts[{index}].phones[{i}].number", _text(phone, "number")) for i, phone in _objects(contact, "phones")
        ]
    names = [_text(contact, "name") for _, contact in contacts]
    for name, values, path in (
        ("contact_email", emails, "email"),
        ("contact_name", names, "contacts[0].name"),
    ):
        value = next((v for v in values if v), None)
        if value is not None:
            fields[name] = value
            paths[name] = path
    for path, text in phones:
        if not text:
            continue
        # Publishers write opening hours and labels beside the number ("01202 123456
        # (Mon-Fri)", "Freephone 0800 123 4567"): keep the number, say what was left out.
        number, words = phone_number(text)
        if not number:
            report.warn(path, f"ignored: {text!r} has no phone number in it")
            continue
        if words:
            report.warn(path, f"kept the number {number} and left out the words {words!r}")
        fields["contact_phone"] = number
        paths["contact_phone"] = path
        break


def _service_areas(record: dict, fields: dict, paths: dict, report: Report) -> None:
    """The areas a service covers, by name (one a line); their extents (GeoJSON, KML) are not read."""
    if "service_areas" not in record:
        return  # the file does not say: keep what an earlier import stored
    names = []
    for index, area in _objects(record, "service_areas"):
        name = plain_text(_text(area, "name"))
        if not name:
            report.warn(f"service_areas[{index}]", "ignored: we list an area by its name, and it has none")
        elif name not in names:
            names.append(name)
    fields["service_areas"] = "\n".join(names)
    paths["service_areas"] = "service_areas"


def _locations(record: dict, service: ServiceData, report: Report) -> dict:
    """Read service_at_locations; returns ``{"by_sal": {sal id: venue id or None}, ...}``."""
    by_sal: dict[str, str | None] = {}
    physical: list[str] = []
    virtual = False
    for index, sal in _objects(record, "service_at_locations"):
        path = f"service_at_locations[{index}]"
        sal_id = _id(sal)
        location = sal.get("location")
        if not isinstance(location, dict):
            location_id = _id(sal, "location_id")
            if location_id is None:
                report.error(f"{path}.location", "is required (or location_id naming a location we already have)")
                continue
            service.location_refs.append((location_id, f"{path}.location_id"))
            physical.append(location_id)
            if sal_id:
                by_sal[sal_id] = location_id
            continue
        path = f"{path}.location"
        location_id = _id(location)
        kind = location.get("location_type")
        if location_id is None or kind not in ("physical", "virtual", "postal"):
            continue  # reported by the schema check
        if kind == "virtual":
            virtual = True
            if sal_id:
                by_sal[sal_id] = None
            continue
        if kind == "postal":
            report.warn(path, "ignored: a postal address is not somewhere people go to take part")
            if sal_id:
                by_sal[sal_id] = None
            continue
        venue = _venue(location, location_id, path, report)
        if venue is None:
            continue
        service.venues.append(venue)
        physical.append(location_id)
        if sal_id:
            by_sal[sal_id] = location_id
    return {"by_sal": by_sal, "physical": physical, "virtual": virtual}


def _venue(location: dict, oruk_id: str, path: str, report: Report) -> VenueData | None:
    addresses = _objects(location, "addresses")
    chosen = next(((i, a) for i, a in addresses if a.get("address_type") == "physical"), None) or (
        addresses[0] if addresses else None
    )
    latitude, longitude = _number(location, "latitude"), _number(location, "longitude")
    if chosen is None:
        return _unaddressed_venue(location, oruk_id, path, report, latitude, longitude)
    index, address = chosen
    address_path = f"{path}.addresses[{index}]"
    postcode_path = f"{address_path}.postal_code"
    postcode = _text(address, "postal_code")
    try:
        postcode = normalise_postcode(postcode)
    except PostcodeError as error:
        if "postal_code" in address:
            report.error(postcode_path, str(error))
        postcode = None
    fields = {
        "name": _text(location, "name") or _text(address, "address_1"),
        "address_1": _text(address, "address_1"),
        "address_2": _text(address, "address_2"),
        "town": _text(address, "city"),
        "postcode": postcode or "",
        "directions": plain_text(_text(location, "description")),
    }
    paths = {
        "name": f"{path}.name",
        "address_1": f"{address_path}.address_1",
        "address_2": f"{address_path}.address_2",
        "town": f"{address_path}.city",
        "directions": f"{path}.description",
    }
    fields.update(_accessibility(location))
    # Blank values whose source is missing altogether are reported by the schema check.
    absent = {"postcode"} if not postcode else set()
    if not isinstance(address.get("address_1"), str):
        absent.add("address_1")
        if not fields["name"]:
            absent.add("name")
    tolerated = set()
    if not isinstance(address.get("city"), str):
        absent.add("town")
    elif not fields["town"]:
        # Seen in councils' feeds: the postcode and first line place the venue well enough.
        report.warn(f"{address_path}.city", "is blank: the venue is listed without a town")
        tolerated.add("town")
    checked = {name: value for name, value in fields.items() if name not in absent | tolerated}
    _check_fields(Venue, checked, paths, report)
    # Coordinates as given: the importer checks them against the UK and the postcode
    # (directory.coordinates) and keeps the record, with a warning, when they are wrong.
    return VenueData(
        oruk_id=oruk_id,
        path=path,
        fields=fields,
        postcode_path=postcode_path,
        latitude=latitude,
        longitude=longitude,
        tolerated=frozenset(tolerated),
    )


def _unaddressed_venue(location: dict, oruk_id: str, path: str, report: Report, latitude, longitude):
    """A location with coordinates and no address (a park's meeting point), which ORUK allows."""
    if latitude is None and longitude is None:
        report.error(
            f"{path}.addresses", "a physical location needs an address with a postcode, or its latitude and longitude"
        )
        return None
    fields = {
        "name": _text(location, "name"),
        "address_1": "",
        "address_2": "",
        "town": "",
        "postcode": "",
        "directions": plain_text(_text(location, "description")),
        **_accessibility(location),
    }
    if not fields["name"]:
        report.error(f"{path}.name", "is required for a location without an address: it is all we can show")
        return None
    _check_fields(Venue, {"name": fields["name"]}, {"name": f"{path}.name"}, report)
    report.warn(f"{path}.addresses", "none given: the venue is placed by its latitude and longitude alone")
    return VenueData(
        oruk_id=oruk_id,
        path=path,
        fields=fields,
        postcode_path=f"{path}.addresses",
        latitude=latitude,
        longitude=longitude,
        tolerated=frozenset({"address_1", "town", "postcode"}),
    )


def _accessibility(location: dict) -> dict:
    found = {name: False for name in ACCESSIBILITY_FEATURES}
    notes = []
    labels = {label.lower(): name for name, (label, _) in ACCESSIBILITY_FEATURES.items()}
    for _, entry in _objects(location, "accessibility"):
        description = _text(entry, "description")
        if description.lower() in labels:
            found[labels[description.lower()]] = True
            continue
        if description == ACCESSIBILITY_NOTES_LABEL:
            notes.append(_text(entry, "details"))
            continue
        texts = []
        for key in ("description", "details", "accessibility"):
            text = _text(entry, key)
            if text and text not in texts:
                texts.append(text)
        text = "\n".join(texts)
        for name, (_, pattern) in ACCESSIBILITY_FEATURES.items():
            found[name] = found[name] or _found(pattern, text)
        notes.append(text)
    return {**found, "accessibility_notes": "\n".join(note for note in notes if note)}


def _delivery(record: dict, locations: dict) -> dict:
    texts = " ".join(_text(schedule, "attending_type") for _, schedule in _objects(record, "schedules"))
    modes = {name: _found(pattern, texts) for name, pattern in _DELIVERY_PHRASES.items()}
    fields = {}
    if any(modes.values()) or locations["physical"] or locations["virtual"]:
        modes["in_person"] = modes["in_person"] or bool(locations["physical"])
        modes["online"] = modes["online"] or locations["virtual"]
        fields.update(modes)
    if texts.strip():
        fields["how_to_join"] = next(
            (choice for choice, pattern in _JOIN_PHRASES if _found(pattern, texts)), HowToJoin.SELF_REFERRAL
        )
    return fields


def _sessions(record: dict, service: ServiceData, locations: dict, report: Report) -> None:
    only_location = locations["physical"][0] if len(locations["physical"]) == 1 else None
    for index, schedule in _objects(record, "schedules"):
        path = f"schedules[{index}]"
        schedule_id = _id(schedule)
        if schedule_id is None:
            continue  # reported by the schema check
        sal_id = _id(schedule, "service_at_location_id")
        if sal_id is not None:
            if sal_id not in locations["by_sal"]:
                report.error(f"{path}.service_at_location_id", f"no service_at_locations entry has id {sal_id!r}")
                continue
            venue_id = locations["by_sal"][sal_id]
        else:
            # A schedule that says it is held online or by phone, and not in person, has no venue.
            attending = _text(schedule, "attending_type")
            remote = _found(_DELIVERY_PHRASES["online"], attending) or _found(_DELIVERY_PHRASES["by_phone"], attending)
            venue_id = None if remote and not _found(_DELIVERY_PHRASES["in_person"], attending) else only_location
        for number, fields in enumerate(_schedule_sessions(schedule, path, report)):
            service.sessions.append(
                SessionData(
                    oruk_id=schedule_id if number == 0 else derived_id(schedule_id, "day", number),
                    path=path,
                    venue_oruk_id=venue_id,
                    fields=fields,
                )
            )


def _schedule_sessions(schedule: dict, path: str, report: Report) -> list[dict]:
    """One dict of ActivitySession fields per weekday of ``schedule`` (none if it is invalid)."""
    errors_before = len(report.errors)
    freq = schedule.get("freq")
    interval = _number(schedule, "interval")
    dtstart = _parse_date(schedule.get("dtstart"), f"{path}.dtstart", report)
    valid_from = _parse_date(schedule.get("valid_from"), f"{path}.valid_from", report)
    valid_to = _parse_date(schedule.get("valid_to"), f"{path}.valid_to", report)

    days: list[tuple[int | None, int | None]] = []  # (weekday, week of month)
    byday = schedule.get("byday")
    parts = [part.strip().upper() for part in byday.split(",") if part.strip()] if isinstance(byday, str) else []
    for part in parts:
        match = _BYDAY.match(part)
        if not match or match.group(2) not in ICAL_WEEKDAYS:
            report.error(f"{path}.byday", f"{part!r} is not a weekday (use MO, TU, WE, TH, FR, SA or SU)")
            continue
        nth = int(match.group(1)) if match.group(1) else None
        days.append((ICAL_WEEKDAYS.index(match.group(2)), nth))

    frequency = None
    if freq == "WEEKLY":
        if interval in (None, 1):
            frequency = Frequency.WEEKLY
        elif interval == 2:
            frequency = Frequency.FORTNIGHTLY
        else:
            report.error(f"{path}.interval", f"{interval!r}: we can import weekly (1) or fortnightly (2) schedules")
        if any(nth is not None for _, nth in days):
            report.error(f"{path}.byday", "a weekly schedule cannot name a week of the month (use TU, not 2TU)")
        if schedule.get("bymonthday"):
            report.warn(f"{path}.bymonthday", "ignored: RFC 5545 does not allow bymonthday in a weekly schedule")
        if not parts and (dtstart or valid_from):
            days = [((dtstart or valid_from).weekday(), None)]
    elif freq == "MONTHLY":
        frequency = Frequency.MONTHLY
        if interval not in (None, 1):
            report.error(f"{path}.interval", f"{interval!r}: we can import monthly schedules with interval 1 only")
        if schedule.get("bymonthday"):
            report.error(f"{path}.bymonthday", "days of the month are not supported; use byday, such as 2TU or -1FR")
        for weekday, nth in days:
            if nth not in WeekOfMonth.values:
                day = ICAL_WEEKDAYS[weekday]
                report.error(
                    f"{path}.byday",
                    f"{f'{nth}{day}' if nth else day!r} needs a week of the month: 1 to 4 or -1 (for example 2{day})",
                )
    elif freq is None:
        if dtstart is None:
            report.error(f"{path}.freq", "is required (WEEKLY or MONTHLY), or give dtstart for a one-off session")
        else:
            frequency = Frequency.ONCE
            days = [(None, None)]
    if frequency in (Frequency.WEEKLY, Frequency.FORTNIGHTLY, Frequency.MONTHLY) and not parts and not days:
        report.error(f"{path}.byday", "is required: say which day of the week, for example TU")
    if frequency == Frequency.FORTNIGHTLY and dtstart is None and valid_from is None:
        report.error(f"{path}.dtstart", "a fortnightly schedule needs dtstart (or valid_from) to fix which weeks")

    start = dtstart if frequency == Frequency.ONCE else _first_date(frequency, dtstart, valid_from, days)
    if valid_to is not None and start is not None and valid_to < start:
        report.error(f"{path}.valid_to", "must be on or after the first session (valid_from or dtstart)")

    opens = _parse_time(schedule.get("opens_at"), f"{path}.opens_at", report, on=start)
    closes = _parse_time(schedule.get("closes_at"), f"{path}.closes_at", report, on=start)
    for key in ("opens_at", "closes_at"):
        if schedule.get(key) in (None, ""):
            report.error(f"{path}.{key}", "is required: we list sessions with their start and end times")
    if opens is not None and closes is not None and closes <= opens:
        report.error(f"{path}.closes_at", "must be after opens_at")

    notes = _text(schedule, "notes")
    if len(notes) > 255:
        report.warn(f"{path}.notes", "shortened to 255 characters")
        notes = _shorten(notes, 255)
    if len(report.errors) > errors_before or frequency is None:
        return []
    sessions = []
    for weekday, nth in days:
        fields = {
            "frequency": frequency,
            "weekday": weekday,
            "week_of_month": nth if frequency == Frequency.MONTHLY else None,
            "start_time": opens,
            "end_time": closes,
            "valid_from": start,
            "valid_to": valid_to,
            "notes": notes,
        }
        sessions.append(fields)
    return sessions


def _first_date(frequency, dtstart: date | None, valid_from: date | None, days) -> date | None:
    """The session's valid_from: the later of dtstart and valid_from, keeping a fortnightly rhythm."""
    if dtstart is None and valid_from is None:
        return None if frequency == Frequency.FORTNIGHTLY else timezone.localdate()
    if dtstart is None or valid_from is None or valid_from <= dtstart:
        return dtstart or valid_from
    if frequency != Frequency.FORTNIGHTLY or not days:
        return valid_from
    # Fortnights are counted from the first session on or after dtstart (as schedules.py does).
    weekday = days[0][0]
    anchor = dtstart + timedelta(days=(weekday - dtstart.weekday()) % 7)
    if valid_from <= anchor:
        return anchor
    return anchor + timedelta(days=14 * -(-(valid_from - anchor).days // 14))


def _terms(record: dict, service: ServiceData, report: Report) -> None:
    entries = [
        (f"attributes[{index}]", attribute.get("taxonomy_term"), _id(attribute, "taxonomy_term_id"))
        for index, attribute in _objects(record, "attributes")
    ]
    entries += [(f"taxonomy_terms[{i}]", term, None) for i, term in _objects(record, "taxonomy_terms")]
    seen = set()
    for path, term, term_id in entries:
        if not isinstance(term, dict):
            if term_id is None:
                report.error(f"{path}.taxonomy_term", "is required (or taxonomy_term_id naming a term we already have)")
            elif term_id not in seen:
                seen.add(term_id)
                service.term_refs.append((term_id, f"{path}.taxonomy_term_id"))
            continue
        if path.startswith("attributes"):
            path = f"{path}.taxonomy_term"
        oruk_id = _id(term)
        if oruk_id is None or oruk_id in seen:
            continue
        seen.add(oruk_id)
        fields = {"name": _text(term, "name") or _text(term, "term"), "description": _text(term, "description")}
        taxonomy = _text(term, "taxonomy")
        if taxonomy:
            fields["vocabulary"] = taxonomy
        _check_fields(
            NeedTerm,
            {name: value for name, value in fields.items() if name != "name" or isinstance(term.get("name"), str)},
            {"name": f"{path}.name", "description": f"{path}.description", "vocabulary": f"{path}.taxonomy"},
            report,
        )
        parent_id = _id(term, "parent_id")
        if parent_id == oruk_id:
            report.error(f"{path}.parent_id", "a term cannot be its own parent")
            parent_id = None
        service.terms.append(TermData(oruk_id=oruk_id, path=path, fields=fields, parent_oruk_id=parent_id))
