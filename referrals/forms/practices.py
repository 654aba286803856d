"""The GP practice chooser in the resident's forms: search, then choose.

Without JavaScript a person types a name, ODS code or postcode, presses "Find practice" (the
form comes back with everything they typed and the matching open practices as radios), and
chooses one; or says they are not registered with a GP; or that their practice is not listed,
and writes its name. ``site/static/js/practice_picker.js`` adds a type-ahead over the same choice
(``primarycare.views.practice_search``); what is saved is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from primarycare.models import GpPractice
from primarycare.selectors import search_practices

# The submit button that searches instead of saving: the form comes back, nothing is saved.
FIND_BUTTON = "find_practice"
# The two answers that are not a practice from the list.
NOT_REGISTERED, NOT_LISTED = "none", "other"
# As many as a page of radios can sensibly hold; more means the search should be narrower.
PAGE_RESULTS = 20


@dataclass(frozen=True)
class PracticeWords:
    """What the chooser says: to staff about "the person", to a resident about "you"."""

    legend: str
    hint: str
    not_registered: str
    not_listed: str
    written_label: str
    choose_from_list: str
    enter_written: str


STAFF_WORDS = PracticeWords(
    legend="GP practice (optional)",
    hint="Search for the practice the person is registered with, then choose it.",
    not_registered="Not registered with a GP",
    not_listed="The practice is not listed",
    written_label="The practice's name, as given",
    choose_from_list="Choose the person's practice from the list, or choose 'The practice is not listed'",
    enter_written="Enter the practice's name, as given",
)

RESIDENT_WORDS = PracticeWords(
    legend="Your GP practice (optional)",
    hint="Your doctor's surgery. Search for it, then choose it from the list.",
    not_registered="I am not registered with a GP",
    not_listed="My practice is not listed",
    written_label="The name of your GP practice",
    choose_from_list="Choose your GP practice from the list, or choose 'My practice is not listed'",
    enter_written="Enter the name of your GP practice",
)


def practice_hint(practice: GpPractice) -> str:
    """How a person tells two practices of a similar name apart: where it is, and its code."""
    address = ", ".join(line.strip() for line in practice.address.splitlines() if line.strip())
    parts = [address, practice.postcode, f"Code {practice.ods_code}"]
    return ", ".join(part for part in parts if part)


def practice_options(*, query: str, chosen: GpPractice | None, base_id: str, name: str, value: str) -> dict:
    """The practices to offer as radios, and what the search found.

    The chosen practice stays on offer (first) even when the search no longer finds it, so a form
    sent back for another mistake keeps the person's choice.
    """
    query = " ".join((query or "").split())
    results = search_practices(query, limit=PAGE_RESULTS) if query else []
    practices = list(results)
    if chosen is not None and all(practice.pk != chosen.pk for practice in practices):
        practices.insert(0, chosen)
    options = [
        {
            "id": f"{base_id}_{index}",
            "name": name,
            "value": practice.ods_code,
            "label": practice.name,
            "hint": practice_hint(practice),
            "checked": value.upper() == practice.ods_code.upper(),
        }
        for index, practice in enumerate(practices)
    ]
    offset = len(options)
    return {
        "query": query,
        "searched": bool(query),
        "found": len(results),
        "options": options,
        "not_registered": {"id": f"{base_id}_{offset}", "name": name, "value": NOT_REGISTERED,
                           "checked": value == NOT_REGISTERED},
        "not_listed": {"id": f"{base_id}_{offset + 1}", "name": name, "value": NOT_LISTED,
                       "checked": value == NOT_LISTED},
    }
