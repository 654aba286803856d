"""Whole numbers that people and other systems send (ids in URLs, queries and hidden fields, page
numbers), kept within what the databases can store.

A number out of range names nothing: as an id it is "not found" (or ignored where it was only a
hint), as a page it is a clear error. Without these bounds a 20-digit id reached the database and
came back as a server error (SQLite's integers and PostgreSQL's bigint are 64-bit).
"""

from django import forms
from rest_framework import serializers

# The largest id either database can store (a signed 64-bit integer).
MAX_ID = 2**63 - 1
# The deepest page of results anyone is shown; deeper pages are refused rather than computed.
MAX_PAGE = 10_000
_PAGE_ERRORS = {"max_value": f"Pages go up to {MAX_PAGE:,}.", "min_value": "Pages start at 1."}


def parse_id(value) -> int | None:
    """``value`` (a string or a number) as a database id from 1 to ``MAX_ID``, or None if it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):  # ValueError also for strings of more than 4,300 digits
        return None
    return number if 1 <= number <= MAX_ID else None


class IdConverter:
    """``<id:pk>`` in a URL: an id within ``MAX_ID`` (anything longer or larger is a 404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # Django takes this as "no match": a 404
        return number

    def to_url(self, value) -> str:
        return str(value)


class IdField(forms.IntegerField):
    """A form's id (often a hidden field): a whole number from 1 to ``MAX_ID``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class PageField(forms.IntegerField):
    """A page number from 1 to ``MAX_PAGE``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_PAGE)
        kwargs.setdefault("error_messages", _PAGE_ERRORS)
        super().__init__(**kwargs)


class ApiIdField(serializers.IntegerField):
    """An API's id: a whole number from 1 to ``MAX_ID`` (the schema states both bounds)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class ApiPageField(serializers.IntegerField):
    """An API's page number from 1 to ``MAX_PAGE``, refused in the same words as on the pages."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_PAGE)
        kwargs.setdefault("error_messages", _PAGE_ERRORS)
        super().__init__(**kwargs)
