"""The care and support plan's forms: what matters, a goal, an action. Plain forms, no JavaScript;
dates as the NHS.UK date input (day, month and year boxes), as the provider's first-session form
takes them. The rules (how long, which dates) are the service's (``referrals.care_plans``); these
forms check the shape and say what is wrong beside each field.
"""

from __future__ import annotations

from datetime import date

from django import forms

from referrals.care_plans import (
    DESCRIPTION_MAX_LENGTH,
    WHAT_MATTERS_MAX_LENGTH,
    WHO_MAX_LENGTH,
)
from referrals.choices import GoalStatus
from referrals.forms.residents import Radios


def _too_long(what: str, limit: int) -> dict:
    return {"max_length": f"Keep {what} to {limit:,} characters or fewer."}


class DateParts(forms.Form):
    """A form with an optional date asked as day, month and year boxes named ``<date_name>_day`` etc."""

    date_name = ""
    date_what = "The date"

    def _date_parts(self):
        return [self.cleaned_data.get(f"{self.date_name}_{part}", "").strip() for part in ("day", "month", "year")]

    def clean(self):
        data = super().clean()
        day, month, year = self._date_parts()
        data[self.date_name] = None
        if not (day or month or year):
            return data
        where = f"{self.date_name}_day"
        missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
        if missing:
            self.add_error(where, f"{self.date_what} must include a {' and a '.join(missing)}.")
            return data
        try:
            if len(year) != 4:
                raise ValueError
            data[self.date_name] = date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            self.add_error(where, f"{self.date_what} must be a real date, for example 14 3 2027.")
        return data

    def date_boxes(self):
        return [self[f"{self.date_name}_{part}"] for part in ("day", "month", "year")]

    @classmethod
    def initial_for(cls, value: date | None) -> dict:
        if value is None:
            return {}
        return {f"{cls.date_name}_day": value.day, f"{cls.date_name}_month": value.month,
                f"{cls.date_name}_year": value.year}


def _box(label: str, length: int) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=length,
                           error_messages={"max_length": "Use numbers, for example 14 3 2027."})


class WhatMattersForm(forms.Form):
    what_matters = forms.CharField(
        label="What matters to the person", required=False, max_length=WHAT_MATTERS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In their words, as they said it.",
        error_messages=_too_long("what matters", WHAT_MATTERS_MAX_LENGTH),
    )


class GoalForm(DateParts):
    date_name = "review_on"
    date_what = "The review date"

    description = forms.CharField(
        label="Goal", max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In the person's words, for example: walk to the shops by May.",
        error_messages={"required": "Enter the goal.", **_too_long("the goal", DESCRIPTION_MAX_LENGTH)},
    )
    status = forms.ChoiceField(
        label="Status", choices=GoalStatus.choices, initial=GoalStatus.NOT_STARTED, widget=Radios,
        error_messages={"required": "Choose the goal's status.", "invalid_choice": "Choose the goal's status."},
    )
    review_on_day = _box("Day", 2)
    review_on_month = _box("Month", 2)
    review_on_year = _box("Year", 4)


class ActionForm(DateParts):
    date_name = "due_on"
    date_what = "The date"

    description = forms.CharField(
        label="What will be done", max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter what will be done.",
                        **_too_long("what will be done", DESCRIPTION_MAX_LENGTH)},
    )
    who = forms.CharField(
        label="Who will do it", max_length=WHO_MAX_LENGTH,
        help_text="For example: you, their daughter, the link worker.",
        error_messages={"required": "Enter who will do it.", **_too_long("who will do it", WHO_MAX_LENGTH)},
    )
    goal = forms.ChoiceField(label="Towards which goal (optional)", required=False,
                             error_messages={"invalid_choice": "Choose one of the plan's goals, or none."})
    due_on_day = _box("Day", 2)
    due_on_month = _box("Month", 2)
    due_on_year = _box("Year", 4)

    def __init__(self, *args, goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = [("", "No goal in particular")] + [
            (str(goal.pk), goal.description[:80]) for goal in goals
        ]


# A refused change names the service's field; the form shows it beside its own.
FORM_FIELD = {"review_on": "review_on_day", "due_on": "due_on_day"}


def add_plan_error(form: forms.Form, field: str | None, message: str) -> None:
    name = FORM_FIELD.get(field, field)
    form.add_error(name if name in form.fields else None, message)
