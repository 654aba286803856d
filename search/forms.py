from django import forms

from directory.geocoding import GeocodingError, locate_postcode
from directory.models import NeedTerm

RADIUS_CHOICES = [(1, "1 mile"), (3, "3 miles"), (5, "5 miles"), (10, "10 miles"), (25, "25 miles")]


class FindActivitiesForm(forms.Form):
    postcode = forms.CharField(
        max_length=16, help_text="For example, BH15 1AB", error_messages={"required": "Enter a postcode."}
    )
    need = forms.ModelChoiceField(
        queryset=NeedTerm.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Anything",
        label="What would help?",
    )
    radius = forms.TypedChoiceField(
        choices=RADIUS_CHOICES, coerce=int, initial=3, required=False, label="How far can you travel?"
    )

    def clean_postcode(self):
        try:
            self.centre = locate_postcode(self.cleaned_data["postcode"])
        except GeocodingError as error:
            raise forms.ValidationError(str(error)) from error
        return self.cleaned_data["postcode"].upper()

    def clean_radius(self):
        return self.cleaned_data.get("radius") or 3
