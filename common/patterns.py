"""Regular expressions the APIs' schemas state for text that people and other systems send, kept
beside the code that enforces them so the schema and the checks cannot drift apart.

Written so every engine reads them alike (ECMA-262 for OpenAPI's clients, Python's ``re``).
"""

import re

# No NUL characters: Django's and DRF's text fields refuse them (PostgreSQL cannot store them).
NO_NUL = r"^[^\x00]*$"
# No NUL characters, and something besides spaces (a required text field refuses a blank one).
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def comma_separated(values, *, empty: bool = True) -> str:
    """A list of ``values`` (regular expressions), comma-separated, spaces around items allowed,
    empty items ignored, as the APIs read a multiple-value parameter; with ``empty=False``, not
    the empty string (for a schema that offers it as another option beside this one)."""
    item = "|".join(values)
    first, rest = rf"\s*(?:{item})?\s*", rf"(?:,\s*(?:{item})?\s*)"
    if empty:
        return rf"^{first}{rest}*$"
    return rf"^(?:{first}{rest}+|\s+(?:{item})?\s*|(?:{item})\s*)$"


def any_case(word: str) -> str:
    """``word`` in any mix of upper and lower case (ECMA-262 has no inline flag for it)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)
