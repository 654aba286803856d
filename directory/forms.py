"""Admin forms for the directory's models."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from wagtail.admin.forms import WagtailAdminModelForm

from directory.coordinates import check_coordinates
from directory.geocoding import GeocodingError, locate_postcode
from directory.postcodes import PostcodeError, normalise_postcode


class VenueForm(WagtailAdminModelForm):
    """The venue form, which places the venue on the map from its postcode.

    Geocoding happens here rather than in ``Venue.clean()``: it is a lookup (perhaps an online
    service) made for the person typing, who can correct the postcode when it fails. Imports,
    fixtures and factories arrive with coordinates and should neither wait for it nor fail on it.

    Typed coordinates go through ``directory.coordinates.check_coordinates``, the rule the
    importer follows too. When the postcode's centre replaces them the venue is saved there and
    ``coordinate_warning`` says why (the admin's views show it after saving): the rest of the
    edit is not held up, and the postcode is a position we trust. When nothing can replace them
    the form refuses, since a venue with no position cannot be found by distance.
    """

    coordinate_warning = ""

    def clean_postcode(self) -> str:
        try:
            return normalise_postcode(self.cleaned_data["postcode"])
        except PostcodeError as error:
            raise ValidationError(str(error), code="invalid") from error

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        self.coordinate_warning = ""
        if any(self.has_error(name) for name in ("postcode", "latitude", "longitude")):
            return cleaned_data
        if not self._needs_location(cleaned_data):
            self._check_coordinates(cleaned_data)
            return cleaned_data
        try:
            coordinates = locate_postcode(cleaned_data["postcode"])
        except GeocodingError as error:
            # Never save a venue that no one can find by distance: the person fixes the postcode
            # (or types the coordinates) instead.
            self.add_error("postcode", str(error))
        else:
            cleaned_data["latitude"] = coordinates.latitude
            cleaned_data["longitude"] = coordinates.longitude
        return cleaned_data

    def _check_coordinates(self, cleaned_data: dict[str, Any]) -> None:
        check = check_coordinates(cleaned_data["latitude"], cleaned_data["longitude"], cleaned_data["postcode"])
        if check.kept:
            return
        if check.coordinates is None:
            self.add_error("latitude", f"{check.problem}. Correct the latitude and longitude.")
            return
        cleaned_data["latitude"] = check.coordinates.latitude
        cleaned_data["longitude"] = check.coordinates.longitude
        self.coordinate_warning = check.warning

    def add_error(self, field: str | None, error: Any) -> None:
        # Venue.clean() checks the postcode again even after this form has rejected it, and sees
        # none (a rejected value is left off the venue), so it would add "Enter a postcode" under
        # the real reason. One message per field: the form's, which is the more specific.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            fresh = {name: errors for name, errors in error.error_dict.items() if not self._has_field_error(name)}
            if not fresh:
                return
            error = ValidationError(fresh)
        super().add_error(field, error)

    def _has_field_error(self, name: str) -> bool:
        return name != NON_FIELD_ERRORS and name in self.errors

    def _needs_location(self, cleaned_data: dict[str, Any]) -> bool:
        latitude, longitude = cleaned_data.get("latitude"), cleaned_data.get("longitude")
        if latitude is None and longitude is None:
            return True
        # A changed postcode with the coordinates left as they were means the venue moved (or the
        # postcode was mistyped before): keeping them would show it where it no longer is.
        coordinates_edited = {"latitude", "longitude"} & set(self.changed_data)
        moved = bool(self.initial.get("postcode")) and cleaned_data["postcode"] != self.initial["postcode"]
        return moved and not coordinates_edited
