"""Loading GP practices and PCN membership from the NHS's public organisation data files.

Two files, both CSV:

- **GP practices**: the Organisation Data Service's ``epraccur.csv`` (GP practices and prescribing
  cost centres in England and Wales). It has no header row and 27 columns: Organisation Code, Name,
  National Grouping, High Level Health Geography, Address Line 1 to 5, Postcode, Open Date, Close
  Date, Status Code (A active, C closed, D dormant, P proposed), Organisation Sub-Type Code,
  Commissioner, Join and Left Provider/Purchaser Date, Contact Telephone Number, three empty columns,
  Amended Record Indicator, an empty column, Provider/Purchaser, an empty column, Prescribing Setting
  (4 is a GP practice) and an empty column. Dates are YYYYMMDD. A file with a header row naming the
  columns is read by those names instead.
- **PCN membership**: the "PCN Core Partner Details" sheet of the NHS's ePCN workbook saved as CSV
  (a header row: Partner Organisation Code, Partner Name, Practice Parent Sub ICB Location Code and
  Name, PCN Code, PCN Name, PCN Parent Sub ICB Location Code and Name, Practice to PCN Relationship
  Start Date and End Date, ...), or the same eleven columns without a header, as ODS's
  ``epcncorepartnerdetails`` report gives them.

The rules:

- Loading again updates in place, by ODS code; nothing an administrator entered that the files do
  not carry (a practice's NHSmail address) is touched. A practice missing from a later file is left
  as it is: the files list closed practices too.
- A practice is closed when its status is C or its close date has passed: it stays (residents were
  registered there) with ``is_open`` False and ``closed_on`` set. It is never deleted. Proposed
  practices are left out until they open. Only GP practices (prescribing setting 4) are kept when the
  file has that column.
- A practice belongs to the PCN of its current relationship; relationships that have ended, or not
  yet begun, are not current. A practice whose only relationship in the file has ended leaves that
  PCN. A PCN is created or updated from the current relationships of practices Signpost holds, so a
  national file brings in only the networks of the practices loaded; rows for other practices are
  counted, not refused.
- Messy rows: what carries a clear meaning is accepted (spaces and small letters in postcodes and
  codes, names in capitals, dates as YYYYMMDD, YYYY-MM-DD or DD/MM/YYYY). Any other row is refused
  with its line number and what to fix; nothing from it is saved and the others load. A problem
  with the whole file (not a CSV file, the wrong columns, the other file) is one ``LoadFileError``
  and nothing is saved.

The command-line commands ``load_gp_practices`` and ``load_pcn_membership`` and the administrators'
upload page call ``load_gp_practices`` and ``load_pcn_membership`` here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from directory.postcodes import PostcodeError, normalise_postcode
from primarycare.models import GpPractice, PrimaryCareNetwork
from primarycare.names import readable

Progress = Callable[..., Iterable]

SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_PRACTICES = SAMPLES / "epraccur-sample.csv"
SAMPLE_MEMBERSHIP = SAMPLES / "epcn-sample.csv"

# epraccur.csv's columns, in order (it has no header row).
EPRACCUR_COLUMNS = (
    "Organisation Code", "Name", "National Grouping", "High Level Health Geography",
    "Address Line 1", "Address Line 2", "Address Line 3", "Address Line 4", "Address Line 5", "Postcode",
    "Open Date", "Close Date", "Status Code", "Organisation Sub-Type Code", "Commissioner",
    "Join Provider/Purchaser Date", "Left Provider/Purchaser Date", "Contact Telephone Number",
    "Null", "Null", "Null", "Amended Record Indicator", "Null", "Provider/Purchaser", "Null",
    "Prescribing Setting", "Null",
)
# The ePCN "PCN Core Partner Details" columns, in the order of ODS's headerless report.
EPCN_COLUMNS = (
    "Partner Organisation Code", "Partner Name", "Practice Parent Sub ICB Location Code",
    "Practice Parent Sub ICB Location Name", "PCN Code", "PCN Name", "PCN Parent Sub ICB Location Code",
    "PCN Parent Sub ICB Location Name", "Practice to PCN Relationship Start Date",
    "Practice to PCN Relationship End Date", "Practice Sub ICB and PCN Sub ICB Match?",
)
# Without a header, a row must reach the status code (epraccur) or the PCN's name (ePCN).
_EPRACCUR_MINIMUM = EPRACCUR_COLUMNS.index("Status Code") + 1
_EPCN_MINIMUM = EPCN_COLUMNS.index("PCN Name") + 1

GP_PRACTICE_SETTING = "4"
# A GP practice's ODS code: a letter and five digits ("J81001"); a PCN's: U and five digits ("U12345").
_PRACTICE_CODE = re.compile(r"^[A-Z][0-9]{5}$")
_PCN_CODE = re.compile(r"^U[0-9]{5}$")
_CODE_LIKE = re.compile(r"^[A-Z0-9]{3,10}$")
_STATUSES = {"A": "active", "ACTIVE": "active", "D": "dormant", "DORMANT": "dormant", "C": "closed",
             "CLOSED": "closed", "B": "closed", "P": "proposed", "PROPOSED": "proposed"}


def no_progress(iterable: Iterable, **kwargs) -> Iterable:
    return iterable


class LoadFileError(Exception):
    """The whole file cannot be loaded (not a CSV file, the wrong columns): nothing was saved."""


@dataclass(frozen=True)
class Refused:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class PracticesLoaded:
    """What loading a practices file did, row by row: every row is counted once."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Recorded as closed by this load (closed in the file, and new or open before).
    closed: int = 0
    not_gp_practices: int = 0
    not_yet_open: int = 0
    refused: list[Refused] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        counts = {
            "created": self.created,
            "updated": self.updated,
            "closed": self.closed,
            "unchanged": self.unchanged,
            "left out, not GP practices": self.not_gp_practices,
            "left out, not open yet": self.not_yet_open,
            "refused": len(self.refused),
        }
        return ["GP practices:", *_tally(counts), *_refusals(self.refused)]


@dataclass
class MembershipLoaded:
    """What loading a PCN membership file did."""

    networks_created: int = 0
    networks_updated: int = 0
    # Practices given a PCN, or moved to another, by this load.
    practices_joined: int = 0
    practices_unchanged: int = 0
    # Practices whose relationship with their PCN has ended, and which have no other in the file.
    practices_left: int = 0
    not_current: int = 0
    # (line, ODS code) of rows for practices Signpost does not hold.
    practices_not_held: list[tuple[int, str]] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        counts = {
            "networks created": self.networks_created,
            "networks updated": self.networks_updated,
            "practices joined a network": self.practices_joined,
            "practices left a network": self.practices_left,
            "practices unchanged": self.practices_unchanged,
            "relationships ended or not begun": self.not_current,
            "rows for practices not loaded": len(self.practices_not_held),
            "refused": len(self.refused),
        }
        lines = ["PCN membership:", *_tally(counts)]
        if self.practices_not_held:
            codes = [code for _, code in self.practices_not_held]
            shown = ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
            lines.append(
                f"Left out {_plural(len(codes), 'row')} for practices Signpost does not hold ({shown}): "
                "load them from the practices file first if you need them."
            )
        return lines + _refusals(self.refused)


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _tally(counts: dict[str, int]) -> list[str]:
    width = max(len(label) for label in counts)
    return [f"  {label.ljust(width)}  {number}" for label, number in counts.items()]


def _refusals(refused: list[Refused]) -> list[str]:
    if not refused:
        return []
    return [
        f"Refused {_plural(len(refused), 'row')}: nothing from them was saved. Correct them and load the file again:",
        *(f"  {row}" for row in refused),
    ]


# Reading a CSV file ------------------------------------------------------------------------------


class _RowError(ValueError):
    """One row's problem, in words that say what to fix."""


def _file_bytes(source) -> bytes | str:
    if isinstance(source, (str, Path)):
        try:
            return Path(source).read_bytes()
        except OSError as error:
            raise LoadFileError(f"Cannot read {source}: {error.strerror or error}.") from error
    if isinstance(source, bytes):
        return source
    return source.read()


def _text(source, *, what: str) -> str:
    data = _file_bytes(source)
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith(b"PK\x03\x04"):
        raise LoadFileError(
            f"This is a zip file or an Excel workbook, not a CSV file. {what}"
        )
    if b"\x00" in data[:8192]:
        raise LoadFileError(f"This is not a CSV file: it holds binary data. {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV in its own code page; Latin-1 reads any byte.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """Each non-blank row with the line it starts on."""
    # strict: a stray quote is an error, not a field that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    line = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as error:
        raise LoadFileError(f"This is not a CSV file that can be read: line {reader.line_num}: {error}.") from error
    if not rows:
        raise LoadFileError("The file is empty.")
    return rows


def _key(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


class _Layout:
    """Where each field is: by header names, or by position when the file has no header."""

    def __init__(self, positions: dict[str, int], *, has_header: bool, minimum: int = 0):
        self.positions = positions
        self.has_header = has_header
        self.minimum = minimum

    def get(self, row: list[str], name: str) -> str:
        index = self.positions.get(name)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def has(self, name: str) -> bool:
        return name in self.positions


def _header_positions(row: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [_key(cell) for cell in row]
    positions = {}
    for name, spellings in aliases.items():
        for spelling in spellings:
            if spelling in keys:
                positions[name] = keys.index(spelling)
                break
    return positions


def _date(value: str, *, label: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise _RowError(f"the {label} “{value}” is not a date: write it like 20240401 or 01/04/2024.")


def _code(value: str, pattern: re.Pattern, *, what: str, example: str) -> str:
    code = re.sub(r"\s+", "", value).upper()
    if not code:
        raise _RowError(f"the {what} is missing: add it, like {example}.")
    if not pattern.match(code):
        raise _RowError(f"“{value.strip()}” is not a {what} (like {example}): correct the code.")
    return code


def _name(value: str, *, what: str) -> str:
    name = readable(value)
    if not name:
        raise _RowError(f"the {what} is missing: add it.")
    if len(name) > 255:
        raise _RowError(f"the {what} is longer than 255 characters: shorten it.")
    return name


# GP practices ------------------------------------------------------------------------------------

_PRACTICE_ALIASES = {
    "code": ("organisationcode", "practicecode", "odscode", "code"),
    "name": ("name", "practicename", "organisationname"),
    "address1": ("addressline1",),
    "address2": ("addressline2",),
    "address3": ("addressline3",),
    "address4": ("addressline4",),
    "address5": ("addressline5",),
    "postcode": ("postcode",),
    "close_date": ("closedate",),
    "status": ("statuscode", "status"),
    "phone": ("contacttelephonenumber", "telephonenumber", "telephone", "phone"),
    "setting": ("prescribingsetting",),
}
_EPRACCUR_FIELDS = {
    "code": 0, "name": 1, "address1": 4, "address2": 5, "address3": 6, "address4": 7, "address5": 8,
    "postcode": 9, "close_date": 11, "status": 12, "phone": 17, "setting": 25,
}
_PRACTICES_HINT = (
    "Load the GP practices file from the NHS's organisation data (epraccur.csv, unzipped from epraccur.zip)."
)


def _practices_layout(first: list[str]) -> _Layout:
    keys = {_key(cell) for cell in first}
    if "partnerorganisationcode" in keys or "pcncode" in keys:
        raise LoadFileError(f"This is the PCN membership file, not the GP practices file. {_PRACTICES_HINT}")
    if keys & {"organisationcode", "practicecode", "odscode"}:
        positions = _header_positions(first, _PRACTICE_ALIASES)
        missing = [label for name, label in (("code", "Organisation Code"), ("name", "Name"), ("postcode", "Postcode"))
                   if name not in positions]
        if missing:
            raise LoadFileError(f"The header row has no {' or '.join(missing)} column. {_PRACTICES_HINT}")
        return _Layout(positions, has_header=True)
    if len(first) < _EPRACCUR_MINIMUM:
        raise LoadFileError(
            f"The first row has {_plural(len(first), 'column')}; a GP practices file without a header row has "
            f"{len(EPRACCUR_COLUMNS)} ({', '.join(EPRACCUR_COLUMNS[:3])}, ...). {_PRACTICES_HINT}"
        )
    # Loosely: a first row with a mistyped code is refused as a row, not taken for a header.
    if not _CODE_LIKE.match(re.sub(r"\s+", "", first[0]).upper()):
        raise LoadFileError(
            f"The first row starts with “{first[0].strip()}”, which is neither an ODS code nor the header "
            f"“Organisation Code”. {_PRACTICES_HINT}"
        )
    return _Layout(_EPRACCUR_FIELDS, has_header=False, minimum=_EPRACCUR_MINIMUM)


@dataclass(frozen=True)
class _PracticeRow:
    line: int
    ods_code: str
    name: str
    address: str
    postcode: str
    phone: str
    is_open: bool
    closed_on: date | None


def _practice_row(line: int, row: list[str], layout: _Layout, *, today: date) -> _PracticeRow | str:
    """The practice in ``row``, or why it is left out ("not a GP practice", "not open yet")."""
    if not layout.has_header and len(row) < layout.minimum:
        raise _RowError(
            f"it has {_plural(len(row), 'column')}, not {len(EPRACCUR_COLUMNS)}: is a comma missing, or the row cut short?"
        )
    code = _code(layout.get(row, "code"), _PRACTICE_CODE, what="GP practice ODS code", example="J81001")
    setting = layout.get(row, "setting")
    if layout.has("setting") and setting and setting != GP_PRACTICE_SETTING:
        return "not a GP practice"
    raw_status = layout.get(row, "status").upper()
    status = _STATUSES.get(raw_status, "active" if not raw_status else None)
    if status is None:
        raise _RowError(f"the status code “{raw_status}” is not A (active), C (closed), D (dormant) or P (proposed).")
    if status == "proposed":
        return "not open yet"
    name = _name(layout.get(row, "name"), what="practice's name")
    raw_postcode = layout.get(row, "postcode")
    if not raw_postcode:
        raise _RowError(f"{code} has no postcode: add it.")
    try:
        postcode = normalise_postcode(raw_postcode)
    except PostcodeError as error:
        raise _RowError(f"the postcode “{raw_postcode}” is not a full UK postcode, like BH15 1AB: correct it.") from error
    closed_on = _date(layout.get(row, "close_date"), label="close date")
    is_open = status != "closed" and (closed_on is None or closed_on > today)
    phone = " ".join(layout.get(row, "phone").split())
    if len(phone) > 40:
        raise _RowError("the telephone number is longer than 40 characters: correct it.")
    lines = [readable(layout.get(row, f"address{number}")) for number in range(1, 6)]
    return _PracticeRow(
        line=line, ods_code=code, name=name, address=", ".join(part for part in lines if part),
        postcode=postcode, phone=phone, is_open=is_open, closed_on=None if is_open else closed_on,
    )


def _read(source, *, hint: str, layout_of) -> tuple[list[tuple[int, list[str]]], "_Layout"]:
    """The file's data rows (numbered by line) and its layout, read from its first row (a header, or data)."""
    rows = _rows(_text(source, what=hint))
    layout = layout_of(rows[0][1])
    return (rows[1:] if layout.has_header else rows), layout


_PRACTICE_FIELDS = ("name", "address", "postcode", "phone", "is_open", "closed_on")


def load_gp_practices(source, *, today: date | None = None, progress: Progress = no_progress) -> PracticesLoaded:
    """Create or update GP practices from an ODS practices file (a path, bytes or an open file).

    Raises ``LoadFileError`` for a problem with the whole file, before saving anything.
    """
    today = today or timezone.localdate()
    rows, layout = _read(source, hint=_PRACTICES_HINT, layout_of=_practices_layout)
    result = PracticesLoaded()
    wanted: dict[str, _PracticeRow] = {}
    for line, row in progress(rows, total=len(rows), desc="GP practices"):
        try:
            practice = _practice_row(line, row, layout, today=today)
        except _RowError as error:
            result.refused.append(Refused(line, str(error)))
            continue
        if practice == "not a GP practice":
            result.not_gp_practices += 1
        elif practice == "not open yet":
            result.not_yet_open += 1
        elif practice.ods_code in wanted:
            earlier = wanted[practice.ods_code].line
            result.refused.append(
                Refused(line, f"{practice.ods_code} is also on line {earlier}: keep one row for each practice.")
            )
        else:
            wanted[practice.ods_code] = practice

    with transaction.atomic():
        # Every practice, not a filter on thousands of codes (past SQLite's limit on query parameters).
        existing = {practice.ods_code: practice for practice in GpPractice.objects.all()}
        new, changed = [], []
        for code, row in wanted.items():
            values = {name: getattr(row, name) for name in _PRACTICE_FIELDS}
            practice = existing.get(code)
            if practice is None:
                new.append(GpPractice(ods_code=code, **values))
                if row.is_open:
                    result.created += 1
                else:
                    result.closed += 1
                continue
            if all(getattr(practice, name) == value for name, value in values.items()):
                result.unchanged += 1
                continue
            if practice.is_open and not row.is_open:
                result.closed += 1
            else:
                result.updated += 1
            for name, value in values.items():
                setattr(practice, name, value)
            changed.append(practice)
        GpPractice.objects.bulk_create(new, batch_size=500)
        GpPractice.objects.bulk_update(changed, _PRACTICE_FIELDS, batch_size=500)
    return result


# PCN membership ----------------------------------------------------------------------------------

_MEMBERSHIP_ALIASES = {
    "practice": ("partnerorganisationcode", "practicecode", "organisationcode"),
    "pcn_code": ("pcncode",),
    "pcn_name": ("pcnname",),
    "start": ("practicetopcnrelationshipstartdate", "relationshipstartdate", "startdate"),
    "end": ("practicetopcnrelationshipenddate", "relationshipenddate", "enddate"),
    "sub_icb_name": ("pcnparentsubicblocationname", "practiceparentsubicblocationname", "subicblocationname",
                     "ccgname"),
    "sub_icb_code": ("pcnparentsubicblocationcode", "practiceparentsubicblocationcode", "subicblocationcode",
                     "ccgcode"),
}
_EPCN_FIELDS = {"practice": 0, "pcn_code": 4, "pcn_name": 5, "sub_icb_code": 6, "sub_icb_name": 7, "start": 8, "end": 9}
_MEMBERSHIP_HINT = (
    "Load the “PCN Core Partner Details” sheet of the NHS's ePCN workbook, saved as CSV "
    "(in Excel: File, Save As, CSV)."
)


def _membership_layout(first: list[str]) -> _Layout:
    keys = {_key(cell) for cell in first}
    if "pcncode" in keys or "partnerorganisationcode" in keys:
        positions = _header_positions(first, _MEMBERSHIP_ALIASES)
        labels = (("practice", "Partner Organisation Code"), ("pcn_code", "PCN Code"), ("pcn_name", "PCN Name"))
        missing = [label for name, label in labels if name not in positions]
        if missing:
            raise LoadFileError(f"The header row has no {' or '.join(missing)} column. {_MEMBERSHIP_HINT}")
        return _Layout(positions, has_header=True)
    if keys & {"organisationcode", "statuscode"} or len(first) == len(EPRACCUR_COLUMNS):
        raise LoadFileError(f"This is the GP practices file, not the PCN membership file. {_MEMBERSHIP_HINT}")
    if len(first) < _EPCN_MINIMUM:
        raise LoadFileError(
            f"The first row has {_plural(len(first), 'column')} and is not a header row with "
            f"“Partner Organisation Code”, “PCN Code” and “PCN Name”. {_MEMBERSHIP_HINT}"
        )
    if not _CODE_LIKE.match(re.sub(r"\s+", "", first[4]).upper()):
        raise LoadFileError(
            "The first row is not a header row with “Partner Organisation Code”, “PCN Code” and “PCN Name”, "
            f"and its fifth column, “{first[4].strip()}”, does not look like a PCN code. {_MEMBERSHIP_HINT}"
        )
    return _Layout(_EPCN_FIELDS, has_header=False, minimum=_EPCN_MINIMUM)


@dataclass(frozen=True)
class _MembershipRow:
    line: int
    practice: str
    pcn_code: str
    pcn_name: str
    sub_icb_location: str
    current: bool


def _membership_row(line: int, row: list[str], layout: _Layout, *, today: date) -> _MembershipRow:
    if not layout.has_header and len(row) < layout.minimum:
        raise _RowError(
            f"it has {_plural(len(row), 'column')}, not {len(EPCN_COLUMNS)}: is a comma missing, or the row cut short?"
        )
    practice = _code(layout.get(row, "practice"), _PRACTICE_CODE, what="practice's ODS code", example="J81001")
    pcn_code = _code(layout.get(row, "pcn_code"), _PCN_CODE, what="PCN code", example="U12345")
    pcn_name = _name(layout.get(row, "pcn_name"), what="PCN's name")
    start = _date(layout.get(row, "start"), label="relationship start date")
    end = _date(layout.get(row, "end"), label="relationship end date")
    if start and end and end < start:
        raise _RowError("the relationship ends before it starts: correct the dates.")
    sub_icb = readable(layout.get(row, "sub_icb_name")) or layout.get(row, "sub_icb_code").upper()
    return _MembershipRow(
        line=line, practice=practice, pcn_code=pcn_code, pcn_name=pcn_name, sub_icb_location=sub_icb[:255],
        current=(start is None or start <= today) and (end is None or end > today),
    )


def load_pcn_membership(source, *, today: date | None = None, progress: Progress = no_progress) -> MembershipLoaded:
    """Create or update PCNs and set each practice's PCN from an ePCN "PCN Core Partner Details" CSV.

    Raises ``LoadFileError`` for a problem with the whole file, before saving anything.
    """
    today = today or timezone.localdate()
    rows, layout = _read(source, hint=_MEMBERSHIP_HINT, layout_of=_membership_layout)
    result = MembershipLoaded()
    held = {practice.ods_code: practice for practice in GpPractice.objects.select_related("pcn")}
    current: dict[str, _MembershipRow] = {}
    ended: dict[str, set[str]] = {}
    for line, row in progress(rows, total=len(rows), desc="PCN membership"):
        try:
            membership = _membership_row(line, row, layout, today=today)
        except _RowError as error:
            result.refused.append(Refused(line, str(error)))
            continue
        if membership.practice not in held:
            result.practices_not_held.append((line, membership.practice))
        elif not membership.current:
            result.not_current += 1
            ended.setdefault(membership.practice, set()).add(membership.pcn_code)
        elif membership.practice in current:
            earlier = current[membership.practice]
            result.refused.append(Refused(
                line,
                f"{membership.practice} is already in {earlier.pcn_code} on line {earlier.line}, and a practice "
                "belongs to one PCN at a time: give this row its relationship end date, or remove one of them.",
            ))
        else:
            current[membership.practice] = membership

    with transaction.atomic():
        networks = {network.ods_code: network for network in PrimaryCareNetwork.objects.all()}
        details = {}
        for membership in current.values():
            details.setdefault(membership.pcn_code, membership)
        for code, membership in details.items():
            network = networks.get(code)
            if network is None:
                networks[code] = PrimaryCareNetwork.objects.create(
                    ods_code=code, name=membership.pcn_name, sub_icb_location=membership.sub_icb_location
                )
                result.networks_created += 1
            elif (network.name, network.sub_icb_location) != (membership.pcn_name, membership.sub_icb_location):
                network.name, network.sub_icb_location = membership.pcn_name, membership.sub_icb_location
                network.save(update_fields=["name", "sub_icb_location"])
                result.networks_updated += 1
        changed = []
        for code, practice in held.items():
            membership = current.get(code)
            if membership is not None:
                network = networks[membership.pcn_code]
                if practice.pcn_id == network.pk:
                    result.practices_unchanged += 1
                else:
                    practice.pcn = network
                    changed.append(practice)
                    result.practices_joined += 1
            elif practice.pcn is not None and practice.pcn.ods_code in ended.get(code, ()):
                practice.pcn = None
                changed.append(practice)
                result.practices_left += 1
        GpPractice.objects.bulk_update(changed, ["pcn"], batch_size=500)
    return result


# The samples -------------------------------------------------------------------------------------


def load_sample_practices(*, today: date | None = None) -> tuple[PracticesLoaded, MembershipLoaded]:
    """Load the sample practices and PCN membership shipped in ``primarycare/samples`` (the demo's areas).

    Idempotent: a second run finds everything in place. The samples' ODS codes are made up.
    """
    return (
        load_gp_practices(SAMPLE_PRACTICES, today=today),
        load_pcn_membership(SAMPLE_MEMBERSHIP, today=today),
    )
