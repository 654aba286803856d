"""Importing a directory from Open Referral UK 3.0 JSON: a file, or an ORUK API.

``import_feed`` is the entry point (the command and any scheduled harvesting call it): it
reads a file or fetches an API's services (``directory.oruk.fetching``), then plans and
applies them, and returns an ``ImportReport``. Real feeds' common deviations are mended
with a warning first (``directory.oruk.deviations``), and HTML is cleaned
(``directory.oruk.cleaning``).

Two steps. ``directory_import_plan`` reads the whole file and checks every record (JSON
Schema, then our own rules, then what needs the database: organisations and terms named
only by id, postcodes to geocode) and raises ``ImportFileError`` listing every problem, so
an invalid file changes nothing. ``directory_import_apply`` then writes the plan in one
transaction, keyed by ORUK ids, so importing the same file again updates in place. With
``skip_invalid`` the plan leaves out the invalid records instead, each reported with why.
Pages are published through revisions so their Wagtail history shows the import.

Reading each record is ``directory.oruk.reading``; what maps to what, and why, is in
``directory.oruk.records``.

A record imported before is skipped before any checking when it is exactly as it was then
and so is what it wrote (``ImportedRecord``: its digest, the revisions its activity and
organisation were left at, and the venues and needs it describes): it is reported unchanged,
with the warnings it gave then. A page or venue changed here since takes the full path again.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from wagtail.coreutils import find_available_slug
from wagtail.models import Page

from directory.coordinates import check_coordinates, postcode_centres
from directory.geocoding import Coordinates, GeocodingError, locate_postcode
from directory.models import (
    ActivityPage,
    ActivitySession,
    DirectoryIndexPage,
    ImportedRecord,
    NeedTerm,
    OrganisationPage,
    Venue,
)
from directory.oruk.deviations import UK_TIME, Deviations, tolerate, uk_datetime
from directory.oruk.fetching import FeedClient, is_url, services_from_api
from directory.oruk.reading import service_from_oruk
from directory.oruk.records import (
    OrganisationData,
    Report,
    ServiceData,
    TermData,
    VenueData,
)
from directory.oruk.schemas import page_validator, schema_errors, service_validator
from directory.page_tree import publish_new_children
from directory.permissions import organisations_give_editors
from directory.selectors import directory_index

Progress = Callable[..., Iterable]

# New activities are published this many at a time (directory.page_tree), each batch a step of progress.
PUBLISH_BATCH = 250


def no_progress(iterable: Iterable, **kwargs) -> Iterable:
    return iterable


class ImportFileError(Exception):
    """The file cannot be imported; ``problems`` lists every reason, one line each."""

    def __init__(self, message: str, problems: Iterable[str] = ()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)

    def __str__(self):
        return "\n".join([self.message, *(f"  {problem}" for problem in self.problems)])


# --- Reading the file ----------------------------------------------------------------------


class _NotJsonNumber(ValueError):
    pass


def _refuse_constant(name: str):
    # Python's json module accepts NaN and Infinity, which JSON itself does not allow.
    raise _NotJsonNumber(f"{name} is not a JSON number")


def records_from_json(text: str | bytes) -> list:
    """The service records in a JSON list of services, a ``/services`` page, or one service."""
    if isinstance(text, bytes) and text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]  # spreadsheet tools on Windows add one
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise ImportFileError(f"The file is not UTF-8 text: {error}") from error
    except json.JSONDecodeError as error:
        raise ImportFileError(
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error
    except _NotJsonNumber as error:
        raise ImportFileError(f"The file is not valid JSON: {error}.") from error
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "contents" in data:
        problems = [f"{path or '(page)'}: {message}" for path, message in schema_errors(page_validator(), data)]
        if problems:
            raise ImportFileError("The file looks like a page of services, but the page is not valid:", problems)
        return data["contents"]
    if isinstance(data, dict) and "id" in data and "name" in data:
        return [data]
    raise ImportFileError(
        "The file must hold a JSON list of ORUK services, or a page of services (an object with `contents`)."
    )


# --- Checking everything -------------------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A record left out by ``skip_invalid``, and every reason."""

    label: str  # "service <id>", or "service #<n> (no id)"
    oruk_id: str | None
    reasons: tuple[str, ...]

    def __str__(self):
        return f"{self.label}: {'; '.join(self.reasons)}"


@dataclass(frozen=True)
class Fingerprint:
    """What an import keeps of a record (``ImportedRecord``), to skip it next time if unchanged."""

    digest: str
    warnings: tuple[str, ...] = ()  # the record's own, without its label
    found: tuple[tuple[int, str], ...] = ()  # about its locations and terms, each with its place among them
    deviations: dict = field(default_factory=dict)
    described: dict = field(default_factory=dict)  # ``_described``


@dataclass
class ImportPlan:
    services: list[ServiceData]
    organisations: dict[str, OrganisationData]
    venues: dict[str, VenueData]
    # The organisation that looks after each new venue; None when several share it.
    venue_organisations: dict[str, str | None]
    terms: dict[str, TermData]
    # Where each venue goes: checked or looked up; None for a venue whose position was refused.
    coordinates: dict[str, Coordinates | None]
    warnings: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Records found unchanged since they were last imported (``_unchanged_records``), by ORUK id,
    # left out of ``services``: each, and what they describe, is reported unchanged.
    unchanged: list[str] = field(default_factory=list)
    unchanged_described: dict[str, set[str]] = field(default_factory=dict)
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)


def _label(record, number: int) -> str:
    oruk_id = record.get("id") if isinstance(record, dict) else None
    return f"service {oruk_id}" if isinstance(oruk_id, str) and oruk_id.strip() else f"service #{number} (no id)"


# Problems are kept as (record number, message): a record is what --skip-invalid leaves out.
Found = list[tuple[int | None, str]]


def directory_import_plan(
    *, records: list, progress: Progress = no_progress, skip_invalid: bool = False
) -> ImportPlan:
    """Check every record and everything they refer to.

    Without ``skip_invalid`` any problem raises ``ImportFileError`` listing every problem.
    With it the records that have problems are left out (``ImportPlan.skipped``, with their
    reasons) and the checks run again on the rest, since a record left out may have been the
    one describing an organisation or location that another names by id.
    """
    deviations = Deviations()
    labels: dict[int, str] = {}
    errors: dict[int, list[str]] = {}
    warnings: dict[int, list[str]] = {}
    read: list[tuple[int, ServiceData]] = []
    first_record: dict[str, int] = {}
    validator = service_validator()
    digests, unchanged = _unchanged_records(records)
    record_deviations: dict[int, Deviations] = {}

    for number, record in enumerate(progress(records, total=len(records), desc="Checking"), start=1):
        labels[number] = _label(record, number)
        if number in unchanged:
            # Imported before as it is now: its warnings again, without checking it again.
            warnings[number] = list(unchanged[number].warnings)
            for kind, paths in unchanged[number].deviations.items():
                getattr(deviations, kind).update(paths)
            continue
        if not isinstance(record, dict):
            errors[number] = [f"expected a service object, found {type(record).__name__}"]
            continue
        record_deviations[number] = Deviations()
        record = tolerate(record, record_deviations[number])
        for kind in _DEVIATION_KINDS:
            getattr(deviations, kind).update(getattr(record_deviations[number], kind))
        report = Report()
        for path, message in schema_errors(validator, record):
            report.error(path, message)
        service = service_from_oruk(record, report)
        if service is not None:
            if service.oruk_id in first_record:
                report.error("id", f"the file has this service twice (records {first_record[service.oruk_id]} and {number})")
            else:
                first_record[service.oruk_id] = number
                read.append((number, service))
        if report.errors:
            errors[number] = [str(problem) for problem in report.errors]
        if report.warnings:
            warnings[number] = [str(problem) for problem in report.warnings]

    while True:
        active = [(n, s) for n, s in read if n not in errors] if skip_invalid else read
        found_errors: Found = []
        found_warnings: Found = []
        gathered = _gather(active)
        found_errors += _check_references(active, gathered, found_warnings)
        coordinates, geocoding_errors = _place_venues(gathered["venues"], gathered["owners"], found_warnings)
        found_errors += geocoding_errors
        for number, message in found_errors:
            errors.setdefault(number, []).append(message)
        if not (skip_invalid and found_errors):
            break  # with skip_invalid: until the records left have no problems

    def line(number, message):
        return f"{labels[number] if number is not None else 'the file'}: {message}"

    if errors and not skip_invalid:
        problems = [line(number, message) for number in sorted(errors) for message in errors[number]]
        raise ImportFileError(
            f"Nothing was imported: {len(problems)} problem{'s' if len(problems) != 1 else ''} in "
            f"{len(errors)} of {len(records)} service record{'s' if len(records) != 1 else ''}.",
            problems,
        )
    skipped = [
        Skipped(
            label=labels[number],
            oruk_id=_id_of(records[number - 1]),
            reasons=tuple(errors[number]),
        )
        for number in sorted(errors)
    ]
    kept = {number for number, _ in active}
    # What the records' locations and terms were warned about is kept with the first record
    # that has each, in the order given, so a record skipped as unchanged gives it again.
    own_found: dict[int, list[tuple[int, str]]] = {}
    for position, (number, message) in enumerate(found_warnings):
        own_found.setdefault(number, []).append((position, message))
    fresh = {message for _, message in found_warnings}
    replayed = sorted(
        (position, number, message)
        for number, fingerprint in unchanged.items()
        for position, message in fingerprint.found
        if message not in fresh  # given by a record checked this time
    )
    return ImportPlan(
        services=[service for _, service in active],
        organisations=gathered["organisations"],
        venues=gathered["venues"],
        venue_organisations={
            venue_id: next(iter(users)) if len(users) == 1 else None
            for venue_id, users in gathered["venue_users"].items()
        },
        terms=gathered["terms"],
        coordinates=coordinates,
        warnings=deviations.warnings()
        + [
            line(number, message)
            for number in sorted(warnings)
            if number in kept or number in unchanged
            for message in warnings[number]
        ]
        + [line(number, message) for number, message in found_warnings]
        + [line(number, message) for _, number, message in replayed],
        skipped=skipped,
        unchanged=[_id_of(records[number - 1]).lower() for number in sorted(unchanged)],
        unchanged_described={
            kind: set().union(*(_described(records[number - 1])[kind] for number in unchanged))
            for kind in ("organisations", "venues", "needs")
        },
        fingerprints={
            service.oruk_id: Fingerprint(
                digest=digests[number],
                warnings=tuple(warnings.get(number, ())),
                found=tuple(own_found.get(number, ())),
                deviations={
                    kind: sorted(getattr(record_deviations[number], kind).elements())
                    for kind in _DEVIATION_KINDS
                    if getattr(record_deviations[number], kind)
                },
                described=_described(records[number - 1]),
            )
            for number, service in active
            if number in digests
        },
    )


# Bump when reading a record changes what it imports as, so that every record is read again.
READING_VERSION = "1"
_DEVIATION_KINDS = ("naive_timestamps", "no_limit_ages", "unknown_fields")


def record_digest(record: dict) -> str:
    """A digest of a service record as the feed gave it (and of how we read records)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{READING_VERSION}\n{text}".encode()).hexdigest()


def _organisation_id(record: dict) -> str | None:
    organisation = record.get("organization")
    if isinstance(organisation, dict) and _id_of(organisation):
        return _id_of(organisation)
    value = record.get("organization_id")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _unchanged_records(records: list) -> tuple[dict[int, str], dict[int, Fingerprint]]:
    """Each record's digest (by record number), and the records that need not be checked or
    applied again: imported before with the same digest (``ImportedRecord``), their activity
    and its organisation at the revisions that import left, the activity still under the
    organisation the record names. A record whose id the file has twice is always checked."""
    digests, ids = {}, {}
    for number, record in enumerate(records, start=1):
        oruk_id = _id_of(record)
        if oruk_id is not None:
            ids.setdefault(oruk_id.lower(), []).append(number)
            digests[number] = record_digest(record)
    once = {oruk_id: numbers[0] for oruk_id, numbers in ids.items() if len(numbers) == 1}
    if not once:
        return digests, {}
    stored = {
        row.activity.oruk_id.lower(): row
        for row in ImportedRecord.objects.filter(activity__oruk_id__in=list(once)).select_related("activity").only(
            "digest", "revision_id", "organisation_revision_id", "state", "warnings", "deviations",
            "activity__oruk_id", "activity__path", "activity__latest_revision_id",
        )
    }
    same = {oruk_id: row for oruk_id, row in stored.items() if row.digest == digests[once[oruk_id]]}
    parents = {
        path: (oruk_id.lower(), revision)
        for path, oruk_id, revision in OrganisationPage.objects.filter(
            path__in={row.activity.path[: -Page.steplen] for row in same.values()}
        ).values_list("path", "oruk_id", "latest_revision_id")
    }
    states = _states({oruk_id: _described(records[once[oruk_id] - 1]) for oruk_id in same})
    unchanged = {}
    for oruk_id, row in same.items():
        number = once[oruk_id]
        parent = parents.get(row.activity.path[: -Page.steplen])
        if (
            parent is not None
            and parent == (_organisation_id(records[number - 1]), row.organisation_revision_id)
            and row.activity.latest_revision_id == row.revision_id
            and states[oruk_id] == row.state
        ):
            unchanged[number] = Fingerprint(
                digest=row.digest,
                warnings=tuple(row.warnings.get("record", ())),
                found=tuple((position, message) for position, message in row.warnings.get("found", ())),
                deviations=row.deviations,
            )
    return digests, unchanged


def _described(record: dict) -> dict[str, frozenset[str]]:
    """The ids of the organisation, locations and taxonomy terms that ``record`` describes
    (not those it names only by id): what importing it writes beside its activity."""
    described = {"organisations": set(), "venues": set(), "needs": set()}
    organisation = record.get("organization")
    if isinstance(organisation, dict) and _id_of(organisation):
        described["organisations"].add(_id_of(organisation).lower())
    for at_location in record.get("service_at_locations") or []:
        location = at_location.get("location") if isinstance(at_location, dict) else None
        if isinstance(location, dict) and _id_of(location):
            described["venues"].add(_id_of(location).lower())
    terms = [a.get("taxonomy_term") for a in record.get("attributes") or [] if isinstance(a, dict)]
    terms += [term for term in record.get("taxonomy_terms") or [] if isinstance(term, dict)]
    for term in terms:
        if isinstance(term, dict) and _id_of(term):
            described["needs"].add(_id_of(term).lower())
    return {kind: frozenset(ids) for kind, ids in described.items()}


def _states(described: dict[object, dict[str, frozenset[str]]]) -> dict[object, str]:
    """For each key, a digest of the venues and needs it describes as they are stored now, so a
    venue or need changed here since (an editor's correction) makes its record go the full
    path again, as it always did. (Its organisation's edits show in its revisions.)"""
    venue_ids = set().union(*(d["venues"] for d in described.values())) if described else set()
    term_ids = set().union(*(d["needs"] for d in described.values())) if described else set()
    rows = {}
    for kind, model, ids in (("venues", Venue, venue_ids), ("needs", NeedTerm, term_ids)):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "oruk_id"]
        found = {}
        for start in range(0, len(ids), 5000):
            chunk = sorted(ids)[start : start + 5000]
            for oruk_id, *values in model.objects.filter(oruk_id__in=chunk).values_list("oruk_id", *fields):
                found[oruk_id.lower()] = repr(values)
        rows[kind] = found
    states = {}
    for key, ids in described.items():
        text = "\n".join(f"{kind} {oruk_id} {rows[kind].get(oruk_id)}" for kind in ("venues", "needs") for oruk_id in sorted(ids[kind]))
        states[key] = hashlib.sha256(text.encode()).hexdigest()
    return states


def _id_of(record) -> str | None:
    oruk_id = record.get("id") if isinstance(record, dict) else None
    return oruk_id.strip() if isinstance(oruk_id, str) and oruk_id.strip() else None


def _gather(services: list[tuple[int, ServiceData]]) -> dict:
    """What the records describe, each by ORUK id, and the first record that has each."""
    organisations: dict[str, OrganisationData] = {}
    venues: dict[str, VenueData] = {}
    venue_users: dict[str, set] = {}
    terms: dict[str, TermData] = {}
    owners: dict[str, int] = {}  # ORUK id of anything -> number of the first record that has it
    for number, service in services:
        if service.organisation is not None:
            organisations.setdefault(service.organisation.oruk_id, service.organisation)
        for venue in service.venues:
            venues.setdefault(venue.oruk_id, venue)
        for venue_id in [venue.oruk_id for venue in service.venues] + [ref for ref, _ in service.location_refs]:
            venue_users.setdefault(venue_id, set()).add(service.organisation_oruk_id)
        for term in service.terms:
            terms.setdefault(term.oruk_id, term)
        for item in [service.organisation, *service.venues, *service.terms]:
            if item is not None:
                owners.setdefault(item.oruk_id, number)
    return {
        "organisations": organisations,
        "venues": venues,
        "venue_users": venue_users,
        "terms": terms,
        "owners": owners,
    }


def _check_references(services: list[tuple[int, ServiceData]], gathered: dict, warnings: Found) -> Found:
    """Organisations, locations and terms named only by id must be in the file or the directory."""
    organisations, venues, terms, owners = (
        gathered["organisations"],
        gathered["venues"],
        gathered["terms"],
        gathered["owners"],
    )
    errors: Found = []
    wanted_organisations = {s.organisation_oruk_id for _, s in services if s.organisation is None} - set(organisations)
    known_organisations = set(organisations) | set(
        OrganisationPage.objects.filter(oruk_id__in=wanted_organisations).values_list("oruk_id", flat=True)
    )
    wanted_venues = {ref for _, s in services for ref, _ in s.location_refs} - set(venues)
    known_venues = set(Venue.objects.filter(oruk_id__in=wanted_venues).values_list("oruk_id", flat=True))
    # The whole vocabulary (a few hundred terms at most): every id and its parent's, to
    # resolve references and to follow chains of parents when looking for loops.
    stored_terms = dict(NeedTerm.objects.values_list("oruk_id", "parent__oruk_id"))
    for number, service in services:
        missing = service.organisation_oruk_id not in known_organisations
        # Without any organisation id the schema check (or our own) has already said so.
        if service.organisation is None and service.organisation_oruk_id is not None and missing:
            errors.append(
                (
                    number,
                    f"organization_id: no organisation {service.organisation_oruk_id!r} in the file or the "
                    "directory; include the organization object",
                )
            )
        for ref, path in service.location_refs:
            if ref not in venues and ref not in known_venues:
                errors.append((number, f"{path}: no location {ref!r} in the file or the directory"))
        for ref, path in service.term_refs:
            if ref not in terms and ref not in stored_terms:
                errors.append((number, f"{path}: no taxonomy term {ref!r} in the file or the directory"))

    # Parents: link what we can find, and refuse loops (a term that is its own ancestor).
    parents = dict(stored_terms)
    for term in terms.values():
        if term.parent_oruk_id and term.parent_oruk_id not in terms and term.parent_oruk_id not in stored_terms:
            warnings.append(
                (
                    owners[term.oruk_id],
                    f"{term.path}.parent_id: {term.parent_oruk_id!r} is not in the file or the "
                    "directory, so the term keeps the parent it has (none, if it is new)",
                )
            )
            continue
        parents[term.oruk_id] = term.parent_oruk_id
    for term in terms.values():
        seen, current = {term.oruk_id}, parents.get(term.oruk_id)
        while current is not None:
            if current in seen:
                errors.append((owners[term.oruk_id], f"{term.path}.parent_id: makes a loop of parent terms"))
                break
            seen.add(current)
            current = parents.get(current)
    return errors


def _place_venues(
    venues: dict[str, VenueData], owners: dict[str, int], warnings: Found
) -> tuple[dict[str, Coordinates | None], Found]:
    """Where each venue goes on the map, and the errors that stop the import.

    Coordinates are checked (``directory.coordinates.check_coordinates``) whether the file gives
    them or we kept them from before: outside the UK, or more than 2 km from the centre of a
    postcode our table has, they give way to the postcode's centre, and a warning names the
    service, the location and why; the record still imports (keeping the position it had, or
    with none, if the postcode cannot place it either). Venues the file gives no coordinates
    for keep what we already have for the same postcode (an editor may have corrected them),
    otherwise they are looked up from the postcode, and a postcode we cannot place is an error.
    """
    stored = {
        oruk_id: (postcode, latitude, longitude)
        for oruk_id, postcode, latitude, longitude in Venue.objects.filter(oruk_id__in=list(venues)).values_list(
            "oruk_id", "postcode", "latitude", "longitude"
        )
    }
    centres = postcode_centres(venue.fields["postcode"] for venue in venues.values() if venue.fields["postcode"])
    found: dict[str, Coordinates | None] = {}
    wanted: dict[str, VenueData] = {}
    for oruk_id, venue in venues.items():
        postcode = venue.fields["postcode"]
        postcode_before, latitude, longitude = stored.get(oruk_id, (None, None, None))
        if venue.has_coordinates:
            latitude, longitude = venue.latitude, venue.longitude
        elif postcode_before != postcode or latitude is None or longitude is None:
            if postcode:
                wanted[oruk_id] = venue
            continue
        check = check_coordinates(latitude, longitude, postcode, centres=centres)
        found[oruk_id], warning = check.coordinates, check.warning
        if check.coordinates is None and venue.has_coordinates and postcode_before == postcode:
            # Nothing can replace the file's position: keep the one we had, if it passes.
            before = check_coordinates(*stored[oruk_id][1:], postcode, centres=centres)
            if before.kept and before.coordinates is not None:
                found[oruk_id], warning = before.coordinates, f"{check.problem}, so it keeps the position it had."
        if warning:
            where = "the position in the file" if venue.has_coordinates else "the position it had"
            warnings.append(
                (
                    owners[oruk_id],
                    f"{venue.path}: location {oruk_id} “{venue.fields['name']}” ({where}): {warning}",
                )
            )

    looked_up: dict[str, Coordinates | GeocodingError] = {}
    errors: Found = []
    for oruk_id, venue in wanted.items():
        postcode = venue.fields["postcode"]
        if postcode not in looked_up:
            try:
                looked_up[postcode] = locate_postcode(postcode)
            except GeocodingError as error:
                looked_up[postcode] = error
        result = looked_up[postcode]
        if isinstance(result, GeocodingError):
            errors.append(
                (owners[oruk_id], f"{venue.postcode_path}: {result} Or give the location's latitude and longitude.")
            )
        else:
            found[oruk_id] = result
    return found, errors


# --- Writing -------------------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self):
        parts = [f"{self.created} created", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.removed:
            parts.append(f"{self.removed} removed")
        return ", ".join(parts)


@dataclass
class ImportReport:
    """What an import did. ``activities`` maps each imported service's ORUK id to
    "created", "updated" or "unchanged"; ``skipped`` lists the records ``skip_invalid`` left
    out; ``not_modified`` counts records left out as unchanged since ``modified_after``."""

    services: int
    counts: dict[str, Tally]
    warnings: list[str]
    activities: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    not_modified: int = 0
    source: str = ""

    def _with(self, outcome: str) -> list[str]:
        return [oruk_id for oruk_id, done in self.activities.items() if done == outcome]

    @property
    def created(self) -> list[str]:
        return self._with("created")

    @property
    def updated(self) -> list[str]:
        return self._with("updated")

    @property
    def unchanged(self) -> list[str]:
        return self._with("unchanged")


ImportResult = ImportReport  # its name before feeds (issue 14)


def _assign(instance, fields: dict) -> bool:
    """Set ``fields`` on ``instance``; whether anything changed."""
    changed = False
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


@transaction.atomic
def directory_import_apply(
    *, plan: ImportPlan, index: DirectoryIndexPage, progress: Progress = no_progress
) -> ImportResult:
    """Write ``plan``; new organisations go under ``index``, the directory's index page."""
    counts = {kind: Tally() for kind in ("organisations", "activities", "venues", "sessions", "needs")}
    terms = _apply_terms(plan, counts["needs"])
    organisations = _apply_organisations(plan, index, counts["organisations"])
    venues = _apply_venues(plan, organisations, counts["venues"])

    existing = {
        page.oruk_id: page
        for page in ActivityPage.objects.filter(oruk_id__in=[s.oruk_id for s in plan.services]).prefetch_related(
            "sessions", "needs"
        )
    }
    activities, new = {}, []
    for service in progress(plan.services, total=len(plan.services), desc="Importing"):
        activities[service.oruk_id] = _apply_service(
            service,
            page=existing.get(service.oruk_id),
            organisation=organisations[service.organisation_oruk_id],
            venues=venues,
            terms=terms,
            counts=counts,
            new=new,
        )
    batches = [new[start : start + PUBLISH_BATCH] for start in range(0, len(new), PUBLISH_BATCH)]
    for batch in progress(batches, total=len(batches), desc=f"Publishing {len(new)} new"):
        publish_new_children(batch, write_children=_write_sessions_and_needs)
    _count_unchanged(plan, counts)
    for oruk_id in plan.unchanged:
        activities[oruk_id] = "unchanged"
    _keep_fingerprints(plan.fingerprints)
    return ImportReport(
        services=len(plan.services) + len(plan.unchanged),
        counts=counts,
        warnings=plan.warnings,
        activities=activities,
        skipped=plan.skipped,
    )


def directory_import(
    *, records: list, index: DirectoryIndexPage, progress: Progress = no_progress, skip_invalid: bool = False
) -> ImportReport:
    """Check then import ``records`` under ``index``; raises ``ImportFileError`` (and changes
    nothing) if any is invalid, unless ``skip_invalid``, which imports the others."""
    plan = directory_import_plan(records=records, progress=progress, skip_invalid=skip_invalid)
    return directory_import_apply(plan=plan, index=index, progress=progress)


@dataclass
class FeedRecords:
    """What ``read_feed`` found: the service records to import, and how many it left out as
    not modified since ``modified_after`` (counted for files only: an API is asked not to
    send them)."""

    records: list
    not_modified: int = 0


def read_feed(
    source: str | Path,
    *,
    modified_after: datetime | None = None,
    progress: Progress | None = None,
    client: FeedClient | None = None,
) -> FeedRecords:
    """The service records of an ORUK 3.0 feed: a JSON file (a list of services, one service
    or a page of them) or an ORUK API's base URL (``https://…``; its pages are followed and
    each service fetched in full by ``client``, a polite ``FeedClient`` unless given).

    ``modified_after`` (a naive value is UK local time) is passed to the API and also
    applied to each record's ``last_modified``, so a feed that ignores it costs no extra
    requests and a file can be imported incrementally too. Nothing is written; raises
    ``FeedError`` (the feed could not be read) or ``ImportFileError`` (the file cannot be).
    """
    progress = progress or no_progress
    if modified_after is not None and modified_after.tzinfo is None:
        modified_after = modified_after.replace(tzinfo=UK_TIME)

    def changed(record) -> bool:
        if modified_after is None or not isinstance(record, dict):
            return True
        modified = uk_datetime(record["last_modified"]) if isinstance(record.get("last_modified"), str) else None
        return modified is None or modified > modified_after

    if is_url(str(source)):
        records = services_from_api(
            str(source), client=client or FeedClient(), modified_after=modified_after, keep=changed, progress=progress
        )
        return FeedRecords(records=records)
    try:
        text = Path(source).read_bytes()
    except OSError as error:
        raise ImportFileError(f"Cannot read {source}: {error.strerror or error}") from error
    every = records_from_json(text)
    records = [record for record in every if changed(record)]
    return FeedRecords(records=records, not_modified=len(every) - len(records))


def import_feed(
    source: str | Path,
    *,
    index: DirectoryIndexPage | None = None,
    modified_after: datetime | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    client: FeedClient | None = None,
) -> ImportReport:
    """Import an ORUK 3.0 feed (a file or an API's base URL, read by ``read_feed``).

    Everything is read and checked before anything is written, in one transaction:
    ``FeedError`` (the feed could not be read) and ``ImportFileError`` (what it holds cannot
    be imported) both leave the directory as it was. New organisations go under ``index``,
    the directory's index page. Scheduled harvesting (``directory.harvesting``) uses
    ``read_feed`` and the two steps below itself, to decide per record first.
    """
    progress = progress or no_progress
    if index is None:
        index = directory_index()
        if index is None:
            raise ImportFileError("The site has no directory to import into yet: run manage.py setup_site first.")
    feed = read_feed(source, modified_after=modified_after, progress=progress, client=client)
    report = directory_import(records=feed.records, index=index, progress=progress, skip_invalid=skip_invalid)
    report.not_modified = feed.not_modified
    report.source = str(source)
    return report


def _unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:110] or "need"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _apply_terms(plan: ImportPlan, tally: Tally) -> dict[str, NeedTerm]:
    wanted = set(plan.terms) | {t.parent_oruk_id for t in plan.terms.values() if t.parent_oruk_id}
    wanted |= {ref for service in plan.services for ref, _ in service.term_refs}
    terms = {term.oruk_id: term for term in NeedTerm.objects.filter(oruk_id__in=wanted)}
    taken_slugs = set(NeedTerm.objects.values_list("slug", flat=True))
    created, changed = set(), set()
    for oruk_id, data in plan.terms.items():
        term = terms.get(oruk_id)
        if term is None:
            term = NeedTerm(oruk_id=oruk_id, slug=_unique_slug(data.fields["name"], taken_slugs), **data.fields)
            terms[oruk_id] = term
            created.add(oruk_id)
        elif _assign(term, data.fields):
            changed.add(oruk_id)
        if oruk_id in created or oruk_id in changed:
            term.full_clean(exclude=["parent"], validate_unique=False)
            term.save()
    # Parents second, once every term in the file exists.
    for oruk_id, data in plan.terms.items():
        term = terms[oruk_id]
        if data.parent_oruk_id and data.parent_oruk_id not in terms:
            continue  # a parent we do not know: keep the one it has (warned about when checking)
        parent = terms.get(data.parent_oruk_id) if data.parent_oruk_id else None
        if term.parent_id != (parent.pk if parent else None):
            term.parent = parent
            term.save(update_fields=["parent"])
            changed.add(oruk_id)
    tally.created += len(created)
    tally.updated += len(changed - created)
    tally.unchanged += len(plan.terms) - len(created | changed)
    return terms


def _publish(page: Page) -> None:
    page.save_revision(log_action=True).publish()


def _apply_organisations(plan: ImportPlan, index: DirectoryIndexPage, tally: Tally) -> dict[str, OrganisationPage]:
    wanted = set(plan.organisations) | {s.organisation_oruk_id for s in plan.services}
    organisations = {page.oruk_id: page for page in OrganisationPage.objects.filter(oruk_id__in=wanted)}
    new = []
    for oruk_id, data in plan.organisations.items():
        page = organisations.get(oruk_id)
        if page is None:
            page = OrganisationPage(oruk_id=oruk_id, **data.fields)
            new.append((index, page))
            organisations[oruk_id] = page
            tally.created += 1
        elif _assign(page, data.fields):
            _publish(page)
            tally.updated += 1
        else:
            tally.unchanged += 1
    publish_new_children(new, write_children=_give_editors)
    return organisations


def _give_editors(organisations) -> None:
    # What saving an organisation does (directory.signal_handlers), before its revision is
    # taken, so the revision records the group: for all the new organisations at once.
    organisations_give_editors(organisations=organisations)


def _apply_venues(plan: ImportPlan, organisations, tally: Tally) -> dict[str, Venue]:
    wanted = set(plan.venues) | {ref for service in plan.services for ref, _ in service.location_refs}
    venues = {venue.oruk_id: venue for venue in Venue.objects.filter(oruk_id__in=wanted)}
    new = []
    for oruk_id, data in plan.venues.items():
        fields = dict(data.fields)
        if oruk_id in plan.coordinates:
            position = plan.coordinates[oruk_id]
            fields["latitude"] = position.latitude if position else None
            fields["longitude"] = position.longitude if position else None
        venue = venues.get(oruk_id)
        if venue is None:
            owner = plan.venue_organisations.get(oruk_id)
            venue = Venue(oruk_id=oruk_id, organisation=organisations.get(owner) if owner else None, **fields)
            venues[oruk_id] = venue
            new.append(venue)
            tally.created += 1
        elif _assign(venue, fields):
            tally.updated += 1
        else:
            tally.unchanged += 1
            continue
        # Ids are unique by construction (we looked them up), and the organisation is one we
        # hold: skip the per-row queries that checking those would cost.
        exclude = [*data.tolerated, "organisation"]
        if "postcode" in data.tolerated:
            # No address, only coordinates: Venue.clean() would ask for the postcode.
            venue.clean_fields(exclude=exclude)
        else:
            venue.full_clean(exclude=exclude, validate_unique=False)
        if venue.pk is not None:
            venue.save()
    # New venues in bulk: nothing uses them yet, so there is no search index to update.
    _bulk_create(Venue, new, key="oruk_id")
    return venues


def _bulk_create(model, objects: list, *, key: str) -> None:
    model.objects.bulk_create(objects, batch_size=1000)
    if objects and objects[0].pk is None:  # a database without RETURNING on bulk inserts
        pks = dict(model.objects.filter(**{f"{key}__in": [getattr(o, key) for o in objects]}).values_list(key, "pk"))
        for instance in objects:
            instance.pk = pks[getattr(instance, key)]


def _session_signature(session: ActivitySession) -> tuple:
    return (
        session.oruk_id,
        session.venue_id,
        session.frequency,
        session.weekday,
        session.week_of_month,
        session.start_time,
        session.end_time,
        session.valid_from,
        session.valid_to,
        session.notes,
    )


def _apply_service(service: ServiceData, *, page, organisation, venues, terms, counts, new: list) -> str:
    tally, session_tally = counts["activities"], counts["sessions"]
    needs = [terms[term.oruk_id] for term in service.terms] + [terms[ref] for ref, _ in service.term_refs]
    if page is None:
        page = ActivityPage(oruk_id=service.oruk_id, **service.fields)
        page.needs = needs
        page.sessions = [
            ActivitySession(
                oruk_id=data.oruk_id,
                venue=venues[data.venue_oruk_id] if data.venue_oruk_id else None,
                sort_order=order,
                **data.fields,
            )
            for order, data in enumerate(service.sessions)
        ]
        new.append((organisation, page))  # published in bulk, with the others (directory.page_tree)
        tally.created += 1
        session_tally.created += len(service.sessions)
        return "created"

    moved = not page.path.startswith(organisation.path) or page.depth != organisation.depth + 1
    if moved:
        _move(page, organisation)
        page = ActivityPage.objects.prefetch_related("sessions", "needs").get(pk=page.pk)
    changed = _assign(page, service.fields) or moved

    before = {session.oruk_id: session for session in page.sessions.all()}
    signatures_before = [_session_signature(session) for session in page.sessions.all()]
    sessions, added, updated = [], 0, 0
    for order, data in enumerate(service.sessions):
        session = before.pop(data.oruk_id, None)
        venue = venues[data.venue_oruk_id] if data.venue_oruk_id else None
        if session is None:
            session = ActivitySession(oruk_id=data.oruk_id, venue=venue, sort_order=order, **data.fields)
            added += 1
        else:
            if _assign(session, data.fields) | (session.venue_id != (venue.pk if venue else None)):
                updated += 1
            session.venue = venue
            session.sort_order = order
        sessions.append(session)
    sessions_changed = [_session_signature(s) for s in sessions] != signatures_before
    needs_changed = {term.pk for term in needs} != {term.pk for term in page.needs.all()}

    if changed or sessions_changed or needs_changed:
        page.sessions = sessions
        page.needs = needs
        _publish(page)
        tally.updated += 1
    else:
        tally.unchanged += 1
    session_tally.created += added
    session_tally.updated += updated
    session_tally.removed += len(before)
    session_tally.unchanged += len(sessions) - added - updated
    return "updated" if changed or sessions_changed or needs_changed else "unchanged"


def _count_unchanged(plan: ImportPlan, counts: dict[str, Tally]) -> None:
    """Count the records skipped as unchanged, and what they describe that no other record did."""
    if not plan.unchanged:
        return
    counts["activities"].unchanged += len(plan.unchanged)
    counts["sessions"].unchanged += ActivitySession.objects.filter(activity__oruk_id__in=plan.unchanged).count()
    counted = {
        "organisations": set(plan.organisations),
        "venues": set(plan.venues),
        "needs": set(plan.terms),
    }
    for kind, ids in plan.unchanged_described.items():
        counts[kind].unchanged += len(ids - counted[kind])


def _keep_fingerprints(fingerprints: dict[str, Fingerprint]) -> None:
    """Store what each imported record was, with the revisions its pages are now at."""
    if not fingerprints:
        return
    pages = list(
        ActivityPage.objects.filter(oruk_id__in=list(fingerprints)).values_list("pk", "oruk_id", "path", "latest_revision_id")
    )
    organisations = dict(
        OrganisationPage.objects.filter(path__in={path[: -Page.steplen] for _, _, path, _ in pages}).values_list(
            "path", "latest_revision_id"
        )
    )
    kept = ["digest", "revision_id", "organisation_revision_id", "state", "warnings", "deviations"]
    stored = {
        row[0]: row[1:]
        for row in ImportedRecord.objects.filter(activity_id__in=[pk for pk, *_ in pages]).values_list("activity_id", *kept)
    }
    states = _states({oruk_id: fingerprint.described for oruk_id, fingerprint in fingerprints.items()})
    rows = []
    for pk, oruk_id, path, revision in pages:
        fingerprint = fingerprints[oruk_id]
        row = ImportedRecord(
            activity_id=pk,
            digest=fingerprint.digest,
            revision_id=revision,
            organisation_revision_id=organisations.get(path[: -Page.steplen]),
            state=states[oruk_id],
            warnings={"record": list(fingerprint.warnings), "found": [list(item) for item in fingerprint.found]},
            deviations=fingerprint.deviations,
        )
        if stored.get(pk) != tuple(getattr(row, name) for name in kept):
            rows.append(row)
    ImportedRecord.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["activity"], update_fields=[*kept, "imported_at"]
    )


def _write_sessions_and_needs(pages: list[ActivityPage]) -> None:
    """What saving each new activity would write beside it: its sessions and its needs."""
    sessions = []
    for page in pages:
        for session in page.sessions.all():
            session.activity_id = page.pk
            sessions.append(session)
    ActivitySession.objects.bulk_create(sessions, batch_size=1000)
    if sessions and sessions[0].pk is None:  # a database without RETURNING on bulk inserts
        pks = {
            (activity, order): pk
            for activity, order, pk in ActivitySession.objects.filter(activity__in=pages).values_list("activity_id", "sort_order", "pk")
        }
        for session in sessions:
            session.pk = pks[(session.activity_id, session.sort_order)]
    Through = ActivityPage.needs.through
    Through.objects.bulk_create(
        [Through(activitypage_id=page.pk, needterm_id=term.pk) for page in pages for term in page.needs.all()],
        batch_size=1000,
    )


def _move(page: ActivityPage, organisation: OrganisationPage) -> None:
    """Move an activity that the file says now belongs to another organisation."""
    slug = find_available_slug(organisation, page.slug, ignore_page_id=page.pk)
    if slug != page.slug:
        # Moving re-validates the slug among the new siblings; free it first.
        Page.objects.filter(pk=page.pk).update(slug=slug)
        page.slug = slug
    page.move(organisation, pos="last-child")


def summary_lines(result: ImportReport) -> list[str]:
    lines = [f"Imported {result.services} service{'s' if result.services != 1 else ''}:"]
    width = max(len(kind) for kind in result.counts)
    lines += [f"  {kind.ljust(width)}  {tally}" for kind, tally in result.counts.items()]
    if result.not_modified:
        lines.append(f"Left out {result.not_modified} not modified since the date given.")
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)} invalid service{'s' if len(result.skipped) != 1 else ''}:")
        lines += [f"  {skipped}" for skipped in result.skipped]
    return lines


__all__ = [
    "FeedRecords",
    "ImportFileError",
    "ImportPlan",
    "ImportReport",
    "ImportResult",
    "Skipped",
    "directory_import",
    "directory_import_apply",
    "directory_import_plan",
    "import_feed",
    "read_feed",
    "records_from_json",
    "summary_lines",
]
