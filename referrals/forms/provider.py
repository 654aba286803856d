"""The provider's forms: accept, decline with a reason, propose the first session, confirm attendance, cancel.

They only read input. Whether a step may happen (and its rules, such as a note being
needed for "another reason") is for ``referrals.services``; the views show its refusals
beside the fields named here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django import forms
from django.utils import timezone

from directory.schedules import next_occurrences
from referrals.choices import ProviderDeclineReason

OTHER_TIME = "other"


class AcceptForm(forms.Form):
    """Nothing to fill in: the form carries the refusal, if there is one."""


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you declining this referral?",
        choices=ProviderDeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason for declining.", "invalid_choice": "Choose a reason for declining."},
    )
    note = forms.CharField(
        label="Tell the link worker more",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed if you chose another reason. The link worker reads this; the person does not.",
    )


@dataclass(frozen=True)
class UpcomingSession:
    session: object  # ActivitySession
    starts: datetime
    ends: datetime

    @property
    def label(self) -> str:
        starts = timezone.localtime(self.starts)
        ends = timezone.localtime(self.ends)
        venue = self.session.venue
        where = f" at {venue.name}" if venue is not None else ""
        return f"{starts:%A} {starts.day} {starts:%B %Y}, {starts:%H:%M} to {ends:%H:%M}{where}"


def upcoming_sessions(activity) -> list[UpcomingSession]:
    """Each of the activity's sessions at its next start still to come, soonest first."""
    if activity is None:
        return []
    now = timezone.now()
    found = []
    for session in activity.sessions.select_related("venue"):
        starts = [o for o in next_occurrences([session], count=2) if o.starts > now]
        if starts:
            found.append(UpcomingSession(session, starts[0].starts, starts[0].ends))
    return sorted(found, key=lambda s: (s.starts, s.session.pk))


_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """A time as people type it: 14:00, 2pm, 2:30pm, 09.15 (None if it is not one)."""
    match = _TIME.match(text or "")
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match[2] is None:
        return None  # "14" alone is too easy to misread
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class FirstSessionForm(forms.Form):
    """One of the activity's coming sessions, or another date and time."""

    when = forms.ChoiceField(
        label="When is the first session?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a session, or another date and time.",
                        "invalid_choice": "Choose a session, or another date and time."},
    )
    day = forms.CharField(label="Day", required=False, max_length=2)
    month = forms.CharField(label="Month", required=False, max_length=2)
    year = forms.CharField(label="Year", required=False, max_length=4)
    time = forms.CharField(
        label="Time", required=False, max_length=10, help_text="For example, 10:30 or 2pm"
    )
    note = forms.CharField(
        label="Anything the person should know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, who will meet them and what to bring. The person is told this with the date.",
    )

    def __init__(self, *args, activity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.upcoming = upcoming_sessions(activity)
        self.fields["when"].choices = [(str(u.session.pk), u.label) for u in self.upcoming] + [
            (OTHER_TIME, "Another date and time")
        ]
        if not self.upcoming:
            # With no sessions to pick from, the date and time are the only answer.
            self.fields["when"].required = False

    @property
    def offers_sessions(self) -> bool:
        return bool(self.upcoming)

    def clean(self):
        data = super().clean()
        when = data.get("when") or (OTHER_TIME if not self.upcoming else None)
        data["session"], data["starts_at"] = None, None
        if when is None:
            return data
        if when != OTHER_TIME:
            data["session"] = next(u.session for u in self.upcoming if str(u.session.pk) == when)
            return data
        day, month, year = (data.get(part, "").strip() for part in ("day", "month", "year"))
        if not (day or month or year):
            self.add_error("day", "Enter the date of the first session.")
        elif not (day and month and year):
            missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
            self.add_error("day", f"The date must include a {' and a '.join(missing)}.")
        else:
            try:
                on = date(int(year), int(month), int(day))
                if len(year) != 4:
                    raise ValueError
            except ValueError:
                self.add_error("day", "The date must be a real date, for example 14 3 2027.")
                on = None
        text = data.get("time", "").strip()
        at = parse_time(text)
        if not text:
            self.add_error("time", "Enter the time of the first session.")
        elif at is None:
            self.add_error("time", "Enter a real time, for example 10:30 or 2pm.")
        if not self.errors:
            data["starts_at"] = timezone.make_aware(datetime.combine(on, at))
        return data


ATTENDED, DID_NOT_ATTEND = "attended", "did_not_attend"


class AttendanceForm(forms.Form):
    attended = forms.ChoiceField(
        label="Did they come to the first session?",
        choices=[(ATTENDED, "Yes, they came"), (DID_NOT_ATTEND, "No, they did not come")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether they came to the first session.",
                        "invalid_choice": "Say whether they came to the first session."},
    )
    note = forms.CharField(
        label="Anything the link worker should know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(forms.Form):
    note = forms.CharField(
        label="Why is the first session cancelled?",
        required=False,  # the service says so when it is missing, beside this field
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The link worker reads this and will talk to the person about what next.",
    )
