"""What Signpost knows about a person, as the link worker's search for them starts: their postcode, their
referral's needs, the access needs their record describes, and their language.

The search itself is ``search``'s (its form, selectors and backends): referrals calls it and never the other
way round. The person's accessibility needs are free text on their record ("uses a wheelchair"); the search
filters on venue features, so the words are read into the features they ask for, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.http import QueryDict

from search.types import Accessibility

# Words in the person's accessibility needs, and the venue feature each asks for.
ACCESS_WORDS: dict[Accessibility, tuple[str, ...]] = {
    Accessibility.STEP_FREE: ("wheelchair", "step-free", "step free", "no steps", "stairs", "walking frame",
                              "mobility scooter", "rollator"),
    Accessibility.ACCESSIBLE_TOILET: ("toilet",),
    Accessibility.HEARING_LOOP: ("hearing", "deaf", "loop"),
    Accessibility.PARKING: ("parking", "blue badge", "drives"),
}


def access_from_words(text: str) -> list[str]:
    """The venue features the person's accessibility needs ask for, in the search's order."""
    words = (text or "").lower()
    return [feature.value for feature, cues in ACCESS_WORDS.items() if any(cue in words for cue in cues)]


def what_matters(referral) -> str:
    """What matters to the person: in the plan built with them, or else as the referral said it."""
    try:
        plan = referral.care_plan
    except ObjectDoesNotExist:
        plan = None
    return (plan.what_matters if plan is not None and plan.what_matters else "") or referral.what_matters


def called(resident) -> str:
    """How the pages name the person in an action: their first name, or their name."""
    return resident.first_name or resident.full_name


@dataclass(frozen=True)
class PersonFilters:
    postcode: str
    needs: tuple[str, ...]  # NeedTerm slugs
    access: tuple[str, ...]  # search.types.Accessibility values
    language: str

    def as_query(self) -> QueryDict:
        """The search's own parameters (``search.forms.SearchForm``), plus the language."""
        data = QueryDict(mutable=True)
        if self.postcode:
            data["postcode"] = self.postcode
        data.setlist("needs", list(self.needs))
        data.setlist("access", list(self.access))
        data["language"] = self.language
        return data


def person_filters(referral) -> PersonFilters:
    resident = referral.resident
    return PersonFilters(
        postcode=resident.postcode,
        needs=tuple(referral.needs.order_by("name").values_list("slug", flat=True)),
        access=tuple(access_from_words(resident.accessibility_needs)),
        language=(resident.language or "").strip(),
    )


def runs_in(languages: str, language: str) -> bool:
    """Whether an activity's languages (comma-separated, as its listing states them) include ``language``."""
    wanted = language.strip().lower()
    return not wanted or any(part.strip().lower() == wanted for part in languages.split(","))
