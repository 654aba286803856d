"""The vendored ORUK 3.0 JSON Schemas (``schema/``) and validation against them.

The compiled schemas declare no ``$schema``; we read them as JSON Schema 2020-12. Formats
are checked (``uuid``, ``email``, ``uri``, ``date-time``) by our own checker, so the result
does not depend on which optional jsonschema format packages happen to be installed.
"""

import json
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"

_format_checker = FormatChecker(formats=())


@_format_checker.checks("uuid", raises=ValueError)
def _is_uuid(value) -> bool:
    if not isinstance(value, str):
        return True
    uuid.UUID(value)
    return all(value[position] == "-" for position in (8, 13, 18, 23))


@_format_checker.checks("email")
def _is_email(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@_format_checker.checks("uri")
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme or "")) and bool(parts.netloc or parts.path)


@_format_checker.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None


def format_checker() -> FormatChecker:
    """Our checker of ``uuid``, ``email``, ``uri`` and ``date-time``, for validators built elsewhere."""
    return _format_checker


@cache
def load_schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker)


def service_validator() -> Draft202012Validator:
    """Validates one ORUK service object (``service.json``, as served by ``/services/{id}``)."""
    return _validator("service.json")


def page_validator() -> Draft202012Validator:
    """Validates the envelope of a ``/services`` page (its ``contents`` are checked one by one)."""
    return _validator("service_list_page.json")


def format_path(parts: Iterable) -> str:
    """``["schedules", 0, "byday"]`` -> ``"schedules[0].byday"``."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def schema_errors(validator: Draft202012Validator, instance) -> list[tuple[str, str]]:
    """Every schema error in ``instance`` as ``(field path, message)``."""
    found = []
    for error in validator.iter_errors(instance):
        path = list(error.absolute_path)
        message = error.message
        if error.validator == "required":
            # Point at the missing field itself, not at the object that lacks it.
            missing = re.match(r"^'(.+)' is a required property$", message)
            if missing:
                path.append(missing.group(1))
                message = "is required"
        found.append((format_path(path), message))
    return found
