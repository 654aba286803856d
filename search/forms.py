"""Reading a search from request parameters: one form for the web page and the JSON API.

Field names are the API's parameter names, so an error names the parameter at fault. A
multiple-value parameter may be repeated (``needs=a&needs=b``, as a form sends it) or
comma-separated (``needs=a,b``, as people type URLs).
"""

from django import forms
from django.http import QueryDict

from common.bounds import PageField
from directory.choices import HowToJoin, Weekday
from directory.coverage import OUTSIDE_AREA, uncovered_district
from directory.geocoding import GeocodingError, PostcodeNotFound, locate_postcode
from directory.postcodes import normalise_postcode
from search.backends.base import Taxonomy
from search.types import (
    MAX_PAGE_SIZE,
    MAX_RADIUS_MILES,
    SELF_REFERRAL_ACCEPTED,
    Accessibility,
    DeliveryMode,
    Location,
    SearchQuery,
    SearchQueryError,
    Sort,
    TimeOfDay,
)

# A box around the United Kingdom (Scilly to Shetland, Lowestoft to County Fermanagh): the
# directory lists UK activities, so a location outside it is a mistake (or a phone abroad).
UK_LATITUDES = (49.8, 60.9)
UK_LONGITUDES = (-8.7, 1.8)
OUTSIDE_UK = "This location is outside the UK. Signpost lists activities in the UK: search by a UK postcode instead."

DEFAULT_RADIUS_MILES = 3
MIN_RADIUS_MILES = 0.1
MIN_AGE, MAX_AGE = 0, 120
# What a yes-or-no filter takes (the API's schema lists them): "on" is what a ticked checkbox sends.
FLAG_TRUE, FLAG_FALSE = ("true", "1", "on"), ("false", "0")
FLAG_VALUES = FLAG_TRUE + FLAG_FALSE
RADIUS_CHOICES = [(1, "1 mile"), (3, "3 miles"), (5, "5 miles"), (10, "10 miles"), (25, "25 miles")]
# "self" is the resident's shorthand for "I can join without a referral".
JOIN_CHOICES = [("self", "I can join without a referral"), *HowToJoin.choices]


class _SharedChoices:
    """A form is built for every search, and Django deep-copies each field's choices for each
    form (their labels are lazy translations, costly to copy): the choices are fixed, so every
    form's copy of the field shares them (assigning new choices to one form's field still
    affects that form only)."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class ChoiceField(_SharedChoices, forms.ChoiceField):
    pass


class ListField(_SharedChoices, forms.MultipleChoiceField):
    """Multiple values, repeated or comma-separated; an unknown value names itself."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args, aliases: dict[str, str] | None = None, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.aliases = aliases or {}
        self.error_messages["invalid_choice"] = "%(value)s is not one of the choices."

    def to_python(self, value):
        values = []
        for item in super().to_python(value):
            for part in item.split(","):
                part = part.strip()
                if part:
                    values.append(self.aliases.get(part.lower(), part))
        return values


class NeedsField(ListField):
    """Needs by slug, id or ORUK id, checked against the taxonomy of this search.

    Not a list of choices: a form is built for every search, and Django copies and
    normalises a field's choices for every form (hundreds here, three names a term)."""

    def __init__(self, *args, term_ids: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.term_ids = term_ids

    def valid_value(self, value):
        return str(value) in self.term_ids


class _FlagCheckbox(forms.CheckboxInput):
    """A checkbox that hands the field the text it was sent (Django's turns any text into a bool)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: value is True or value in FLAG_TRUE)

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class FlagField(forms.BooleanField):
    """A yes-or-no filter: true or false (1 or 0; "on" from a ticked checkbox). Anything else is
    refused, where Django's BooleanField takes any text but "false" and "0" as yes."""

    widget = _FlagCheckbox

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return False
        if isinstance(value, str):
            if value in FLAG_TRUE:
                return True
            if value in FLAG_FALSE:
                return False
            raise forms.ValidationError("Give true or false.", code="invalid")
        return bool(value)


class SearchForm(forms.Form):
    q = forms.CharField(label="Search for", required=False, max_length=200, help_text="For example: walking, lonely, art")
    postcode = forms.CharField(
        label="Postcode", required=False, max_length=16, help_text="For example, BH15 1AB",
        error_messages={"required": "Enter a postcode."},
    )
    # "Use my location" (site/static/js/locate.js) fills these; the postcode is the way without JavaScript.
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, error_messages={"invalid": "Latitude must be a number."})
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, error_messages={"invalid": "Longitude must be a number."})
    radius_miles = forms.FloatField(
        label="How far can you travel?", required=False, min_value=MIN_RADIUS_MILES, max_value=MAX_RADIUS_MILES,
        widget=forms.Select(choices=RADIUS_CHOICES),
    )
    needs = forms.CharField(required=False)  # replaced per instance: its choices come from the taxonomy
    day = ListField(
        label="Day", choices=[(str(value), label) for value, label in Weekday.choices],
        aliases={label.lower(): str(value) for value, label in Weekday.choices},
    )
    time = ListField(label="Time of day", choices=[(t.value, t.label) for t in TimeOfDay])
    free = FlagField(label="Cost")
    delivery = ListField(label="How it is run", choices=[(m.value, m.label) for m in DeliveryMode])
    access = ListField(label="Access needs", choices=[(a.value, a.label) for a in Accessibility])
    age = forms.IntegerField(label="Age", required=False, min_value=MIN_AGE, max_value=MAX_AGE, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    join = ListField(label="How to join", choices=JOIN_CHOICES)
    capacity = FlagField(label="Places")
    sort = ChoiceField(label="Sort by", required=False, choices=[(s.value, s.label) for s in Sort])
    page = PageField(required=False, widget=forms.HiddenInput)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, widget=forms.HiddenInput)

    # Older links (the home page's need list) use these names.
    ALIASES = {"need": "needs", "radius": "radius_miles"}

    def __init__(self, data=None, *args, require_location: bool = False, default_page_size: int = 20, **kwargs):
        if data is not None:
            data = data.copy()
            for old, new in self.ALIASES.items():
                if old in data and new not in data:
                    data.setlist(new, data.getlist(old))
            # The distance searched when none is given, shown as chosen: otherwise the select shows
            # its first option, and the next search (say, "Use my location") would send that.
            if not data.get("radius_miles"):
                data["radius_miles"] = str(DEFAULT_RADIUS_MILES)
        super().__init__(data, *args, **kwargs)
        self.fields["radius_miles"].initial = DEFAULT_RADIUS_MILES
        self.require_location = require_location
        self.default_page_size = default_page_size
        self.location = None
        self.outside_area: str | None = None  # the district, for a postcode Signpost does not cover
        taxonomy = Taxonomy.load()
        # A need is named by its slug, its id, or its Open Referral UK taxonomy term id.
        self._term_ids = taxonomy.term_ids
        self.fields["needs"] = NeedsField(label="What would help?", term_ids=self._term_ids)
        self.need_choices = list(taxonomy.choices)
        # A location (latitude and longitude) serves instead of a postcode.
        self.fields["postcode"].required = require_location and not (data and data.get("latitude") and data.get("longitude"))

    def clean_latitude(self):
        return self._within_uk(self.cleaned_data["latitude"], UK_LATITUDES)

    def clean_longitude(self):
        return self._within_uk(self.cleaned_data["longitude"], UK_LONGITUDES)

    @staticmethod
    def _within_uk(value: float | None, bounds: tuple[float, float]) -> float | None:
        if value is not None and not (bounds[0] <= value <= bounds[1]):
            raise forms.ValidationError(OUTSIDE_UK, code="outside_uk")
        return value

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        # A postcode someone typed wins over a location: the find page keeps the location of
        # "Use my location" in hidden fields, and typing a postcode afterwards means that postcode.
        if data.get("postcode"):
            try:
                coordinates = locate_postcode(data["postcode"])
            except PostcodeNotFound as error:
                # A real postcode from somewhere Signpost does not cover is not the person's mistake.
                self.outside_area = uncovered_district(error.postcode)
                if self.outside_area:
                    message = OUTSIDE_AREA.format(district=self.outside_area)
                    self.add_error("postcode", forms.ValidationError(message, code="outside_area"))
                else:
                    self.add_error("postcode", str(error))
            except GeocodingError as error:
                self.add_error("postcode", str(error))
            else:
                postcode = normalise_postcode(data["postcode"])
                self.location = Location(float(coordinates.latitude), float(coordinates.longitude), postcode)
        elif (latitude is None) != (longitude is None):
            if not self.has_error("latitude") and not self.has_error("longitude"):
                self.add_error("latitude" if latitude is None else "longitude", "Give both latitude and longitude.")
        elif latitude is not None:
            self.location = Location(latitude, longitude)
        return data

    def to_query(self) -> SearchQuery:
        """The validated ``SearchQuery``; call after ``is_valid()``. Raises ``SearchQueryError``."""
        data = self.cleaned_data
        join = set(data["join"])
        if "self" in join:
            join = (join - {"self"}) | SELF_REFERRAL_ACCEPTED
        query = SearchQuery(
            text=data["q"].strip(),
            location=self.location,
            radius_miles=data["radius_miles"] or float(DEFAULT_RADIUS_MILES),
            needs=tuple(sorted({self._term_ids[value] for value in data["needs"]})),
            weekdays=frozenset(int(day) for day in data["day"]),
            times_of_day=frozenset(TimeOfDay(value) for value in data["time"]),
            free_only=data["free"],
            delivery=frozenset(DeliveryMode(value) for value in data["delivery"]),
            accessibility=frozenset(Accessibility(value) for value in data["access"]),
            age=data["age"],
            how_to_join=frozenset(join),
            has_capacity=data["capacity"],
            sort=Sort(data["sort"] or Sort.BEST),
            page=data["page"] or 1,
            page_size=data["page_size"] or self.default_page_size,
        )
        return query

    def results_parameters(self) -> str:
        """This search as a query string of its own parameters only (the field names, never the
        old aliases or anything else the request carried), for links back to these results.
        Call on a valid form: every value has passed its field's checks."""
        carried = QueryDict(mutable=True)
        for name, field in self.fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                values = [value for value in self.data.getlist(name) if value]
            else:
                values = [self.data[name]] if self.data.get(name) else []
            if values:
                carried.setlist(name, values)
        return carried.urlencode()

    def query_or_errors(self) -> tuple[SearchQuery | None, dict[str, list[str]]]:
        """Either a query, or the errors keyed by parameter name (for pages and the API alike)."""
        if not self.is_valid():
            return None, {name: [str(e) for e in errors] for name, errors in self.errors.items()}
        try:
            return self.to_query(), {}
        except SearchQueryError as error:
            self.add_error(error.parameter if error.parameter in self.fields else None, error.message)
            return None, {error.parameter: [error.message]}
