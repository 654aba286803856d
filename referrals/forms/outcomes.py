"""Forms for outcomes: the ONS4 wellbeing questions (in the ONS's own words) and the person's feedback."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from referrals.models import WellbeingStage

# The Office for National Statistics' wording: the four questions must be asked as written
# for the answers to be comparable with the national figures.
ONS4_QUESTIONS = {
    "life_satisfaction": _("Overall, how satisfied are you with your life nowadays?"),
    "worthwhile": _("Overall, to what extent do you feel that the things you do in your life are worthwhile?"),
    "happiness": _("Overall, how happy did you feel yesterday?"),
    "anxiety": _("On a scale where 0 is “not at all anxious” and 10 is “completely anxious”, overall, how anxious did you feel yesterday?"),
}
ONS4_HINTS = {
    "life_satisfaction": _("0 is “not at all” and 10 is “completely”."),
    "worthwhile": _("0 is “not at all” and 10 is “completely”."),
    "happiness": _("0 is “not at all” and 10 is “completely”."),
    "anxiety": _("0 is “not at all anxious” and 10 is “completely anxious”."),
}
class Radios(forms.RadioSelect):
    """Radios whose label target is the first radio, so the error summary's link lands on the question."""

    def id_for_label(self, id_, index="0"):
        return f"{id_}_{index}" if id_ else ""


SCORE_CHOICES = [(str(n), str(n)) for n in range(11)]
SATISFACTION_CHOICES = [
    ("5", _("Very happy")),
    ("4", _("Happy")),
    ("3", _("Neither happy nor unhappy")),
    ("2", _("Unhappy")),
    ("1", _("Very unhappy")),
]


class WellbeingAnswersForm(forms.Form):
    """The four questions, each 0 to 10 (the person's own form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, question in ONS4_QUESTIONS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=question, help_text=ONS4_HINTS[name], choices=SCORE_CHOICES, coerce=int,
                widget=Radios,
                error_messages={"required": _("Choose a number from 0 to 10 for this question")},
            )

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in ONS4_QUESTIONS}


class WellbeingRecordForm(WellbeingAnswersForm):
    """The link worker's form: the same questions, and when they were asked."""

    field_order = ["stage", *ONS4_QUESTIONS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"] = forms.ChoiceField(
            label=_("When were these questions asked?"), choices=WellbeingStage.choices, widget=Radios,
            error_messages={"required": _("Choose when these questions were asked")},
        )
        self.order_fields(self.field_order)


class SendLinkForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("What should the person answer?"),
        choices=[*WellbeingStage.choices, ("feedback", _("Feedback on their first session"))],
        widget=Radios,
        error_messages={"required": _("Choose what the person should answer")},
    )


class FeedbackForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How did you feel about your first session?"), choices=SATISFACTION_CHOICES, coerce=int,
        widget=Radios, error_messages={"required": _("Choose how you felt about your first session")},
    )
    comments = forms.CharField(
        label=_("Is there anything you would like to tell us? (optional)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example, what went well or what could be better. Do not include anyone’s personal details."),
        error_messages={"max_length": _("Your comments must be 2,000 characters or fewer")},
    )
